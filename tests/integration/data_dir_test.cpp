// The data directory's modes with the real binary (docs/operations.md, "Files
// and modes"): created 0700 with every file in it 0600 (solo.db and its -wal
// and -shm, the admin token, the master key), and an existing looser
// directory and its files tightened at start, with a line on stderr.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0xFFFF;
  return info.st_mode & 07777;
}

// Every file solo keeps in `data` while it runs.
void expect_private(const fs::path& data) {
  BOOST_TEST(mode_of(data) == 0700u, std::oct << mode_of(data));
  for (const char* name : {"solo.db", "solo.db-wal", "solo.db-shm", "admin.token", "master.key"}) {
    BOOST_TEST_REQUIRE(fs::exists(data / name), name);
    BOOST_TEST(mode_of(data / name) == 0600u, name << ": " << std::oct << mode_of(data / name));
  }
  for (const auto& entry : fs::directory_iterator(data)) {
    if (entry.is_regular_file()) BOOST_TEST(mode_of(entry.path()) == 0600u, entry.path().string());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_dir)

BOOST_AUTO_TEST_CASE(a_new_data_directory_is_0700_and_its_files_0600) {
  test::TempDir dir;
  ::umask(022);  // what a shell usually has: solo must not depend on it
  SoloProcess solo(dir / "data");
  BOOST_TEST_REQUIRE(solo.client().request("POST", "/secrets", R"({"key":"k","value":"v"})").status == 201);
  expect_private(dir / "data");
}

BOOST_AUTO_TEST_CASE(a_looser_existing_data_directory_is_tightened_at_start) {
  test::TempDir dir;
  const auto data = dir / "data";
  {
    SoloProcess first(data);
    BOOST_TEST_REQUIRE(first.terminate().value_or(-1) == 0);
  }
  fs::permissions(data, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(data / "solo.db", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                        fs::perms::others_read);
  std::ofstream(data / "notes.txt") << "an operator's file\n";
  fs::permissions(data / "notes.txt", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  SoloProcess second(data);
  expect_private(data);
  BOOST_TEST(mode_of(data / "notes.txt") == 0600u);
  const auto errors = second.errors();
  BOOST_TEST(errors.find("data was mode 0755; now 0700") != std::string::npos, errors);
  BOOST_TEST(errors.find("solo.db was mode 0644; now 0600") != std::string::npos, errors);
}

BOOST_AUTO_TEST_SUITE_END()
