#include "core/tombstone_runs.h"

#include <gtest/gtest.h>
