#include "apps/data_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <system_error>

namespace solo {

namespace {

namespace fs = std::filesystem;

constexpr auto kDirMode = fs::perms::owner_all;
constexpr auto kFileMode = fs::perms::owner_read | fs::perms::owner_write;

std::string octal(fs::perms perms) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(perms) & 07777u);
  return text;
}

// Removes every permission beyond `allowed`; logs when there was any. A mode
// that cannot be changed (not the owner, a file system without modes) is
// reported but does not stop the start: refusing to run would be worse for an
// operator whose volume is shared on purpose.
void tighten(const fs::path& path, fs::perms current, fs::perms allowed) {
  const auto extra = current & ~allowed;
  if (extra == fs::perms::none) return;
  const auto wanted = current & allowed;
  std::error_code ec;
  fs::permissions(path, wanted, fs::perm_options::replace, ec);
  if (ec) {
    std::cerr << "solo: warning: " << path.string() << " is mode " << octal(current) << " and cannot be made "
              << octal(wanted) << ": " << ec.message() << "\n";
    return;
  }
  std::cerr << "solo: " << path.string() << " was mode " << octal(current) << "; now " << octal(wanted)
            << " (the data directory is private to its owner)\n";
}

}  // namespace

void prepare_data_dir(const fs::path& dir, bool sqlite_store) {
  if (fs::create_directories(dir)) fs::permissions(dir, kDirMode, fs::perm_options::replace);
  tighten(dir, fs::status(dir).permissions(), kDirMode);
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto status = entry.symlink_status();
    if (status.type() == fs::file_type::directory) {
      tighten(entry.path(), status.permissions(), kDirMode);
    } else if (status.type() == fs::file_type::regular) {
      tighten(entry.path(), status.permissions(), kFileMode);
    }
  }
  if (!sqlite_store) return;
  const auto database = dir / "solo.db";
  const int fd = ::open(database.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    throw fs::filesystem_error("cannot create", database, std::error_code(errno, std::generic_category()));
  }
}

}  // namespace solo
