#include "engine/security/private_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace solo {
namespace {

[[noreturn]] void throw_file_error(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void create_exclusive(const std::filesystem::path& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_file_error("cannot create", path);
  size_t written = 0;
  bool ok = true;
  while (ok && written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ok = false;
    } else {
      written += static_cast<size_t>(n);
    }
  }
  ok = ok && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    errno = saved;
    throw_file_error("cannot write", path);
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_private_file(const std::filesystem::path& file, std::string_view content) {
  if (!std::filesystem::exists(file)) {
    create_exclusive(file, content);
  } else {
    auto temp = file;
    temp += ".tmp";
    std::filesystem::remove(temp);
    create_exclusive(temp, content);
    std::filesystem::rename(temp, file);
  }
  fsync_directory(file.parent_path());
}

}  // namespace solo
