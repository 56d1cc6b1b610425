#include "net/static_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace weft {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "weft-static-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    fs::create_directories(base_ / "www" / "app");
    write(base_ / "www" / "index.html", "<h1>home</h1>");
    write(base_ / "www" / "app" / "main.js", "console.log(1)");
    write(base_ / "www" / "app" / "index.html", "app");
    write(base_ / "secret.txt", "secret");
    fs::create_symlink(base_ / "secret.txt", base_ / "www" / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  static HttpRequest get(std::string path) {
    HttpRequest r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
  }

  fs::path base_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
  StaticFiles files(base_ / "www");
  auto js = files.serve(get("/app/main.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticFiles::content_type_for("x.WASM"), "application/wasm");
  EXPECT_EQ(StaticFiles::content_type_for("x.bin"), "application/octet-stream");
}

TEST_F(StaticFilesTest, IndexHtmlAndRedirect) {
  StaticFiles files(base_ / "www");
  auto root = files.serve(get("/"));
  ASSERT_TRUE(root);
  EXPECT_EQ(root->body, "<h1>home</h1>");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  auto app = files.serve(get("/app/"));
  ASSERT_TRUE(app);
  EXPECT_EQ(app->body, "app");
  auto redirect = files.serve(get("/app"));
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  ASSERT_EQ(redirect->headers.size(), 1u);
  EXPECT_EQ(redirect->headers[0].second, "/app/");
}

TEST_F(StaticFilesTest, RefusesTraversal) {
  StaticFiles files(base_ / "www");
  for (const char* path :
       {"/../secret.txt", "/app/../../secret.txt", "/%2e%2e/secret.txt", "/app/%2E%2E/%2e%2e/secret.txt"}) {
    auto r = files.serve(get(path));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_EQ(r->body.find("secret"), std::string::npos);
  }
  auto link = files.serve(get("/link.txt"));  // a symlink out of the root
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 403);
  auto nul = files.serve(get("/index.html%00.js"));
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400);
}

TEST_F(StaticFilesTest, MissingAndOtherMethodsFallThrough) {
  StaticFiles files(base_ / "www");
  EXPECT_FALSE(files.serve(get("/nope.js")));
  HttpRequest post = get("/index.html");
  post.method = "POST";
  EXPECT_FALSE(files.serve(post));
  EXPECT_FALSE(StaticFiles(base_ / "missing").serve(get("/")));
}

}  // namespace
}  // namespace weft
