#include "bench/disk_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace solo::bench {

std::vector<int64_t> probe_sync_latency(const std::filesystem::path& dir, int rounds, size_t block_bytes) {
  auto path = dir / "sync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("open " + path.string() + ": " + std::strerror(errno));
  std::string block(block_bytes, 'x');
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(rounds));
  std::string failure;
  for (int i = 0; i < rounds && failure.empty(); ++i) {
    auto start = std::chrono::steady_clock::now();
    auto offset = static_cast<off_t>(block_bytes) * i;
    if (::pwrite(fd, block.data(), block.size(), offset) != static_cast<ssize_t>(block.size())) {
      failure = std::string("pwrite: ") + std::strerror(errno);
    } else if (::fdatasync(fd) != 0) {
      failure = std::string("fdatasync: ") + std::strerror(errno);
    }
    samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
                          .count());
  }
  ::close(fd);
  std::filesystem::remove(path);
  if (!failure.empty()) throw std::runtime_error(failure);
  std::sort(samples.begin(), samples.end());
  return samples;
}

}  // namespace solo::bench
