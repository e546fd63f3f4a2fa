// What the disk under a directory can do, so that scenario figures can be read
// against it: the latency of one small durable write (the floor under every
// group commit with synchronous=FULL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace solo::bench {

// Appends `block_bytes` to a fresh file in `dir` and fdatasync()s it, `rounds`
// times; returns each round's write+sync latency in ns, sorted ascending.
// SQLite's unix VFS syncs its WAL with fdatasync where available, as here.
std::vector<int64_t> probe_sync_latency(const std::filesystem::path& dir, int rounds = 200, size_t block_bytes = 4096);

}  // namespace solo::bench
