// MasterKeyRing: the vault's master keys, one per key version, in a file
// (default <data>/master.key, mode 0600):
//
//   v1 <64 hex digits>
//   v2 <64 hex digits>
//
// The highest version is current: new writes use it. Older versions stay so
// that rows not yet re-encrypted (or restored from an older backup) remain
// readable. rotate() appends a version by writing a new 0600 file beside the
// old one, fsyncing it and renaming it over (the file is never half-written).
//
// Not thread-safe; the Vault owns it (engine thread). File I/O is synchronous:
// it happens at boot and at rotation, on a file of a few hundred bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace solo {

class MasterKeyRing {
 public:
  // Loads `file`, creating it with one fresh version (v1) when it does not
  // exist and `create` is true. Throws std::runtime_error on a malformed file
  // (the message names the line, never a key).
  static MasterKeyRing load_or_create(const std::filesystem::path& file, bool create = true);

  ~MasterKeyRing();
  MasterKeyRing(MasterKeyRing&&) = default;
  MasterKeyRing& operator=(MasterKeyRing&&) = default;

  int64_t current_version() const { return keys_.rbegin()->first; }
  // nullptr when the version is unknown.
  const std::string* key(int64_t version) const;
  // Adds version current+1 with 32 fresh random bytes, durably; returns it.
  int64_t rotate();
  const std::filesystem::path& file() const { return file_; }

 private:
  MasterKeyRing() = default;
  void write_file() const;

  std::filesystem::path file_;
  std::map<int64_t, std::string> keys_;  // version -> 32 raw bytes
};

}  // namespace solo
