#include "engine/security/master_key.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "base/hex.hpp"
#include "engine/security/crypto.hpp"
#include "engine/security/private_file.hpp"

namespace solo {
namespace {

[[noreturn]] void throw_file_error(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

}  // namespace

MasterKeyRing::~MasterKeyRing() {
  for (auto& [version, key] : keys_) crypto::cleanse(key);
}

MasterKeyRing MasterKeyRing::load_or_create(const std::filesystem::path& file, bool create) {
  MasterKeyRing ring;
  ring.file_ = file;
  if (!std::filesystem::exists(file)) {
    if (!create) throw std::runtime_error("master key file " + file.string() + " does not exist");
    ring.keys_[1] = crypto::random_bytes(crypto::kAesKeyBytes);
    ring.write_file();
    return ring;
  }
  std::ifstream in(file);
  if (!in) throw_file_error("cannot read", file);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string version_text, hex;
    fields >> version_text >> hex;
    auto malformed = [&](const char* why) {
      crypto::cleanse(line);
      crypto::cleanse(hex);
      return std::runtime_error("master key file " + file.string() + " line " + std::to_string(line_no) + ": " +
                                why + " (expected 'v<N> <64 hex digits>')");
    };
    if (version_text.size() < 2 || version_text[0] != 'v') throw malformed("bad version");
    int64_t version = 0;
    try {
      version = std::stoll(version_text.substr(1));
    } catch (const std::exception&) {
      throw malformed("bad version");
    }
    if (version <= 0) throw malformed("bad version");
    auto key = from_hex(hex);
    if (!key || key->size() != crypto::kAesKeyBytes) throw malformed("the key is not 32 bytes of hex");
    if (ring.keys_.contains(version)) throw malformed("duplicate version");
    ring.keys_[version] = std::move(*key);
    crypto::cleanse(line);
    crypto::cleanse(hex);
  }
  if (ring.keys_.empty()) throw std::runtime_error("master key file " + file.string() + " holds no key");
  return ring;
}

const std::string* MasterKeyRing::key(int64_t version) const {
  auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second;
}

int64_t MasterKeyRing::rotate() {
  int64_t version = current_version() + 1;
  keys_[version] = crypto::random_bytes(crypto::kAesKeyBytes);
  try {
    write_file();
  } catch (...) {
    keys_.erase(version);
    throw;
  }
  return version;
}

void MasterKeyRing::write_file() const {
  std::string content;
  for (const auto& [version, key] : keys_) content += "v" + std::to_string(version) + " " + to_hex(key) + "\n";
  try {
    write_private_file(file_, content);
  } catch (...) {
    crypto::cleanse(content);
    throw;
  }
  crypto::cleanse(content);
}

}  // namespace solo
