#include "store/update_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

namespace weft {

namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

Status io_error(const std::string& what, int err) {
  return Status(ErrorCode::kIo, "update journal: " + what + ": " + std::strerror(err));
}

// One intact record found in a segment.
struct Parsed {
  uint64_t lsn = 0;
  uint64_t synced = 0;
  Seq seq = 0;
  size_t offset = 0;
  size_t room_len = 0;
  size_t body_len = 0;
  size_t bytes = 0;  // padded size
};

// The intact record at `off`, or nullopt (zeros, a torn or stale write,
// damage: the checksums decide; none of it is trusted before they do).
std::optional<Parsed> parse_record(std::span<const uint8_t> seg, size_t off, uint32_t salt) {
  if (off + kJournalHeaderBytes > seg.size()) return std::nullopt;
  const uint8_t* h = seg.data() + off;
  if (get_u32(h) != kJournalMagic) return std::nullopt;
  if (crc32c({h, 40}, salt) != get_u32(h + 40) || get_u32(h + 44) != 0) return std::nullopt;
  Parsed p;
  p.body_len = get_u32(h + 4);
  p.lsn = get_u64(h + 8);
  p.synced = get_u64(h + 16);
  p.seq = get_u64(h + 24);
  p.room_len = get_u32(h + 32);
  p.offset = off;
  if (p.room_len > p.body_len || p.body_len > seg.size() - off - kJournalHeaderBytes) return std::nullopt;
  if (crc32c({h + kJournalHeaderBytes, p.body_len}, salt) != get_u32(h + 36)) return std::nullopt;
  p.bytes = journal_record_bytes(0, p.body_len);
  return p;
}

Result<Bytes> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open " + path, errno);
  Bytes out;
  uint8_t buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return io_error("read " + path, err);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open " + dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : io_error("fsync " + dir, err);
}

}  // namespace

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc) {
  crc = ~crc;
  for (uint8_t b : data) crc = kCrc32cTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

size_t journal_record_bytes(size_t room_bytes, size_t payload_bytes) {
  return (kJournalHeaderBytes + room_bytes + payload_bytes + 7) & ~size_t{7};
}

void encode_journal_record(Bytes& out, uint32_t salt, uint64_t lsn, uint64_t synced_lsn, Seq seq,
                           std::string_view room, std::span<const uint8_t> payload) {
  const size_t start = out.size();
  const size_t body = room.size() + payload.size();
  out.resize(start + journal_record_bytes(room.size(), payload.size()), 0);
  uint8_t* h = out.data() + start;
  put_u32(h, kJournalMagic);
  put_u32(h + 4, static_cast<uint32_t>(body));
  put_u64(h + 8, lsn);
  put_u64(h + 16, synced_lsn);
  put_u64(h + 24, seq);
  put_u32(h + 32, static_cast<uint32_t>(room.size()));
  if (!room.empty()) std::memcpy(h + kJournalHeaderBytes, room.data(), room.size());
  if (!payload.empty()) std::memcpy(h + kJournalHeaderBytes + room.size(), payload.data(), payload.size());
  put_u32(h + 36, crc32c({h + kJournalHeaderBytes, body}, salt));
  put_u32(h + 40, crc32c({h, 40}, salt));
}

std::string UpdateJournal::segment_path(const std::string& dir, int index) {
  return (std::filesystem::path(dir) / ("segment-" + std::to_string(index) + ".wj")).string();
}

Result<JournalRecovery> UpdateJournal::recover(const UpdateJournalOptions& options, uint64_t moved_lsn) {
  JournalRecovery out;
  out.end_lsn = moved_lsn;
  out.max_lsn = moved_lsn;
  std::error_code ec;
  if (!std::filesystem::exists(options.dir, ec)) return out;

  // Every segment file present (also beyond options.segments: a previous
  // run may have used more).
  std::vector<std::pair<int, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
    const std::string name = entry.path().filename().string();
    int index = -1;
    if (std::sscanf(name.c_str(), "segment-%d.wj", &index) == 1 && index >= 0 &&
        name == "segment-" + std::to_string(index) + ".wj") {
      files.emplace_back(index, entry.path().string());
    }
  }
  if (ec) return Status(ErrorCode::kIo, "update journal: list " + options.dir + ": " + ec.message());
  std::sort(files.begin(), files.end());

  struct Found {
    std::string file;
    Parsed p;
    JournalRecord record;
  };
  std::map<uint64_t, Found> found;  // intact records above moved_lsn, by LSN
  uint64_t max_synced = 0;
  std::string max_synced_at;
  for (const auto& [index, path] : files) {
    WEFT_ASSIGN_OR_RETURN(Bytes seg, read_file(path));
    // Every intact record, wherever it starts (records start 8-byte
    // aligned; an intact one is skipped whole). A segment holds its last
    // use's records from its start, then older ones (LSN <= moved_lsn: a
    // segment is reused only after its records were moved) or a torn write.
    for (size_t at = 0; at + kJournalHeaderBytes <= seg.size(); at += 8) {
      std::optional<Parsed> p = parse_record(seg, at, options.salt);
      if (!p) continue;
      out.max_lsn = std::max(out.max_lsn, p->lsn);
      if (p->synced > max_synced) {
        max_synced = p->synced;
        max_synced_at = path + " offset " + std::to_string(at) + " (LSN " + std::to_string(p->lsn) + ")";
      }
      if (p->lsn > moved_lsn && !found.count(p->lsn)) {
        const uint8_t* body = seg.data() + at + kJournalHeaderBytes;
        JournalRecord r;
        r.lsn = p->lsn;
        r.seq = p->seq;
        r.room.assign(reinterpret_cast<const char*>(body), p->room_len);
        r.data = std::make_shared<const Bytes>(body + p->room_len, body + p->body_len);
        found.emplace(p->lsn, Found{path, *p, std::move(r)});
      }
      at += p->bytes - 8;
    }
  }

  uint64_t end = moved_lsn;
  for (auto it = found.find(end + 1); it != found.end(); it = found.find(end + 1)) {
    out.records.push_back(std::move(it->second.record));
    ++end;
  }
  if (max_synced > end) {
    std::string where = "LSN " + std::to_string(end + 1) + " is missing";
    if (auto it = found.find(end); it != found.end()) {
      where = "the record after LSN " + std::to_string(end) + " (" + it->second.file + " offset " +
              std::to_string(it->second.p.offset + it->second.p.bytes) + ") is missing or fails its checksum";
    }
    return Status(ErrorCode::kMalformed,
                  "update journal " + options.dir + " is damaged: " + where + ", but the record at " +
                      max_synced_at + " says LSNs up to " + std::to_string(max_synced) +
                      " were synced; refusing to start rather than drop synced updates (restore the data "
                      "folder from a backup, or move the journal folder aside to accept the loss)");
  }
  out.end_lsn = end;
  for (const auto& [lsn, f] : found) out.dropped += lsn > end ? 1 : 0;
  return out;
}

UpdateJournal::UpdateJournal(UpdateJournalOptions options, uint64_t next_lsn)
    : options_(std::move(options)),
      fds_(static_cast<size_t>(options_.segments), -1),
      seg_last_lsn_(static_cast<size_t>(options_.segments), 0),
      next_lsn_(next_lsn),
      synced_lsn_(next_lsn - 1),
      moved_lsn_(next_lsn - 1) {}

Result<std::unique_ptr<UpdateJournal>> UpdateJournal::open(UpdateJournalOptions options, uint64_t next_lsn) {
  if (options.segments < 2)
    return Status(ErrorCode::kInvalidArgument, "update journal: needs 2 segments or more");
  if (options.segment_bytes < 4096) {
    return Status(ErrorCode::kInvalidArgument, "update journal: segments must hold 4096 bytes or more");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status(ErrorCode::kIo, "update journal: create " + options.dir + ": " + ec.message());
  std::unique_ptr<UpdateJournal> j(new UpdateJournal(std::move(options), std::max<uint64_t>(next_lsn, 1)));
  WEFT_RETURN_IF_ERROR(j->ensure_segment(0));
  return j;
}

UpdateJournal::~UpdateJournal() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

// Opens segment `index`, creating it full size (zeros written and synced,
// so later writes overwrite allocated blocks) if it is missing or short.
Status UpdateJournal::ensure_segment(int index) {
  int& fd = fds_[static_cast<size_t>(index)];
  if (fd >= 0) return Status::ok();
  const std::string path = segment_path(options_.dir, index);
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("open " + path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("stat " + path, errno);
  if (static_cast<uint64_t>(st.st_size) >= options_.segment_bytes) return Status::ok();
  const Bytes zeros(std::min<size_t>(options_.segment_bytes, size_t{1} << 20), 0);
  for (uint64_t off = static_cast<uint64_t>(st.st_size); off < options_.segment_bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), options_.segment_bytes - off));
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return io_error("preallocate " + path, errno);
    off += static_cast<uint64_t>(w);
  }
  if (::fdatasync(fd) != 0) return io_error("fdatasync " + path, errno);
  return fsync_dir(options_.dir);
}

Status UpdateJournal::wait_moved_to(uint64_t need, int index) {
  std::unique_lock lock(moved_mu_);
  const bool ok = moved_cv_.wait_for(lock, std::chrono::milliseconds(options_.full_wait_ms),
                                     [&] { return moved_lsn_ >= need || aborted_; });
  if (ok && moved_lsn_ >= need) return Status::ok();
  return Status(ErrorCode::kIo, "update journal full: segment " + std::to_string(index) +
                                    " still holds records not yet moved into SQLite (moved up to LSN " +
                                    std::to_string(moved_lsn_) + ", needs " + std::to_string(need) + ")");
}

void UpdateJournal::set_moved(uint64_t lsn) {
  {
    std::lock_guard lock(moved_mu_);
    moved_lsn_ = std::max(moved_lsn_, lsn);
  }
  moved_cv_.notify_all();
}

void UpdateJournal::abort_waits() {
  {
    std::lock_guard lock(moved_mu_);
    aborted_ = true;
  }
  moved_cv_.notify_all();
}

Status UpdateJournal::pwrite_all(int index, const Bytes& buf, uint64_t offset) {
  const int fd = fds_[static_cast<size_t>(index)];
  for (size_t done = 0; done < buf.size();) {
    const ssize_t w = ::pwrite(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return io_error("write " + segment_path(options_.dir, index), errno);
    done += static_cast<size_t>(w);
  }
  return Status::ok();
}

Result<std::vector<UpdateJournal::Piece>> UpdateJournal::reserve(std::unique_lock<std::mutex>& lock,
                                                                 std::vector<JournalRecord>& records) {
  const int n = options_.segments;
  // Where each record goes: in turn, rolling to the next segment when one
  // does not fit (a record larger than a segment starts an empty one and
  // grows its file). Nothing is placed before every segment it needs is
  // free; the wait for the mover releases the lock (the mover's progress
  // needs other writes to finish) and then places again from scratch.
  std::vector<int> rolls_before;  // record index -> segments rolled before it
  for (;;) {
    if (!broken_) return broken_;
    rolls_before.clear();
    int rolls = 0;
    uint64_t off = cur_off_;
    for (const JournalRecord& r : records) {
      const size_t size = journal_record_bytes(r.room.size(), r.data->size());
      if (off > 0 && off + size > options_.segment_bytes) {
        ++rolls;
        off = 0;
      }
      off += size;
      rolls_before.push_back(rolls);
    }
    if (rolls >= n) {
      return Status(ErrorCode::kInvalidArgument, "update journal: one write larger than the whole journal");
    }
    int blocked = -1;
    uint64_t moved = 0;
    {
      std::lock_guard moved_lock(moved_mu_);
      moved = moved_lsn_;
    }
    for (int k = 1; k <= rolls && blocked < 0; ++k) {
      const int seg = (cur_ + k) % n;
      if (seg_last_lsn_[static_cast<size_t>(seg)] > moved) blocked = seg;
    }
    if (blocked < 0) {
      for (int k = 1; k <= rolls; ++k) WEFT_RETURN_IF_ERROR(ensure_segment((cur_ + k) % n));
      break;
    }
    const uint64_t need = seg_last_lsn_[static_cast<size_t>(blocked)];
    lock.unlock();
    Status waited = wait_moved_to(need, blocked);
    lock.lock();
    WEFT_RETURN_IF_ERROR(waited);
  }

  const uint64_t synced = synced_lsn_.load();
  std::vector<Piece> pieces;
  int rolled = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    JournalRecord& r = records[i];
    if (pieces.empty() || rolls_before[i] > rolled) {
      if (rolls_before[i] > rolled) {
        cur_ = (cur_ + 1) % n;
        cur_off_ = 0;
        rolled = rolls_before[i];
      }
      pieces.push_back(Piece{cur_, cur_off_, {}});
    }
    r.lsn = next_lsn_++;
    encode_journal_record(pieces.back().bytes, options_.salt, r.lsn, synced, r.seq, r.room, *r.data);
    cur_off_ += journal_record_bytes(r.room.size(), r.data->size());
    seg_last_lsn_[static_cast<size_t>(cur_)] = r.lsn;
  }
  return pieces;
}

void UpdateJournal::complete_in_order() {
  while (!pending_.empty() && pending_.front()->synced) {
    Pending* p = pending_.front();
    pending_.pop_front();
    synced_lsn_ = p->last_lsn;
    if (p->in_order != nullptr && *p->in_order) (*p->in_order)();
    p->done = true;
  }
  done_cv_.notify_all();
}

Status UpdateJournal::write(std::vector<JournalRecord>& records, const std::function<void()>& in_order) {
  std::unique_lock lock(write_mu_);
  if (!broken_) return broken_;
  if (records.empty()) {
    if (in_order) in_order();
    return Status::ok();
  }
  Result<std::vector<Piece>> pieces = reserve(lock, records);
  if (!pieces) return pieces.status();
  Pending me;
  me.last_lsn = records.back().lsn;
  me.in_order = &in_order;
  pending_.push_back(&me);
  lock.unlock();

  // Alongside other writes: disjoint byte ranges, then each its own sync
  // (a sync covers whatever of the file was written before it started).
  Status s;
  for (const Piece& piece : *pieces) {
    s = pwrite_all(piece.segment, piece.bytes, piece.offset);
    if (!s) break;
  }
  for (size_t i = 0; i < pieces->size() && s; ++i) {
    const int seg = (*pieces)[i].segment;
    if (::fdatasync(fds_[static_cast<size_t>(seg)]) != 0) {
      s = io_error("fdatasync " + segment_path(options_.dir, seg), errno);
    }
  }

  lock.lock();
  if (!s && broken_) broken_ = Status(s.code(), s.message() + " (journal closed to writes until restart)");
  me.synced = s.is_ok();
  complete_in_order();
  // An earlier write still syncing: this one is durable only with it.
  done_cv_.wait(lock, [&] { return me.done || !broken_; });
  if (me.done) return Status::ok();
  pending_.erase(std::find(pending_.begin(), pending_.end(), &me));
  return broken_;
}

}  // namespace weft
