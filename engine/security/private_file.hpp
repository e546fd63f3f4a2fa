// Small files only the owner may read (admin.token, master.key): created with
// open(O_CREAT|O_EXCL, 0600) so they are never readable by others, not even
// for an instant under a loose umask; fsynced, and replaced atomically
// (a 0600 sibling "<file>.tmp" renamed over the old one, then the directory
// fsynced). Synchronous: used at boot and at key rotation only.
#pragma once

#include <filesystem>
#include <string_view>

namespace solo {

// Creates `file` (or atomically replaces it) with `content`, mode 0600.
// Throws std::system_error naming the file (never the content).
void write_private_file(const std::filesystem::path& file, std::string_view content);

}  // namespace solo
