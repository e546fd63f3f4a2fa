// Vault over a real SQLite file and master key file in a temp dir.
#include "engine/security/vault.hpp"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "base/hex.hpp"
#include "engine/security/crypto.hpp"
#include "security_test_support.hpp"
#include "stores/sqlite.hpp"

using namespace solo;
namespace asio = boost::asio;

namespace {

struct Fixture {
  test::TempDir dir;
  asio::io_context io;
  std::shared_ptr<EventStore> store;
  std::unique_ptr<Vault> vault;
  size_t batch = 100;

  Fixture() { open(); }

  void open() {
    store = test::run_awaitable(io, EventStore::open(io.get_executor(), dir / "solo.db"));
    VaultOptions options;
    options.master_key_file = dir / "master.key";
    options.rotation_batch = batch;
    vault = std::make_unique<Vault>(store, options);
    test::run_awaitable(io, vault->restore());
  }

  void close() {
    vault.reset();
    test::run_awaitable(io, store->close());
    store.reset();
  }

  void reopen() {
    close();
    open();
  }

  void put(const std::string& tenant, const std::string& name, const std::string& value) {
    auto result = test::run_awaitable(io, vault->put(tenant, name, value, "tok_test"));
    BOOST_REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message()));
  }

  VaultResult<std::optional<std::string>> reveal(const std::string& tenant, const std::string& name) {
    return vault->get(tenant, name, true, "tok_test");
  }

  // Runs SQL on solo.db with a connection of its own (as an attacker with the file would).
  void tamper(const std::string& sql) {
    close();
    SqliteDatabase db(dir / "solo.db", OpenOptions{});
    db.exec(sql);
  }
};

std::string value_of(const VaultResult<std::optional<std::string>>& result) {
  BOOST_REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message()));
  BOOST_REQUIRE(result->has_value());
  return **result;
}

const std::string kAuthFailure = " cannot be decrypted: authentication failed (tampered data or wrong master key)";

}  // namespace

BOOST_AUTO_TEST_SUITE(security_vault)

BOOST_AUTO_TEST_CASE(put_then_get_round_trips_and_only_reveal_returns_the_value) {
  Fixture f;
  f.put("t1", "db-password", "hunter2");
  f.put("t1", "api.key", std::string("\0binary\xff", 8));
  f.put("t1", "empty", "");
  f.put("t2", "db-password", "other-tenant-value");

  BOOST_TEST(value_of(f.reveal("t1", "db-password")) == "hunter2");
  BOOST_TEST(value_of(f.reveal("t1", "api.key")) == std::string("\0binary\xff", 8));
  BOOST_TEST(value_of(f.reveal("t1", "empty")) == "");
  BOOST_TEST(value_of(f.reveal("t2", "db-password")) == "other-tenant-value");
  auto hidden = f.vault->get("t1", "db-password", false, "tok_test");
  BOOST_REQUIRE(hidden.has_value());
  BOOST_TEST(!hidden->has_value());
  BOOST_TEST((f.vault->get("t3", "db-password", true, "").error().kind() == ErrorKind::not_found));
  BOOST_TEST(f.vault->decrypt("t1", "db-password").value() == "hunter2");

  auto names = f.vault->list("t1");
  BOOST_REQUIRE(names.size() == 3u);
  BOOST_TEST(names[0].name == "api.key");
  BOOST_TEST(names[1].name == "db-password");
  BOOST_TEST(names[2].name == "empty");
  BOOST_TEST(names[0].key_version == 1);
  BOOST_TEST(f.vault->list("t").empty());

  // Replacing keeps one row; delete removes it.
  f.put("t1", "db-password", "hunter3");
  BOOST_TEST(value_of(f.reveal("t1", "db-password")) == "hunter3");
  BOOST_TEST(test::run_awaitable(f.io, f.vault->remove("t1", "db-password", "tok_test")).has_value());
  BOOST_TEST(!f.vault->exists("t1", "db-password"));
  BOOST_TEST((test::run_awaitable(f.io, f.vault->remove("t1", "db-password", "")).error().kind() ==
              ErrorKind::not_found));

  auto stored = test::all_events(f.io, *f.store, "secret_stored");
  BOOST_REQUIRE(stored.size() == 5u);
  auto payload = boost::json::parse(stored[0].payload).as_object();
  BOOST_TEST(payload.at("name").as_string() == "db-password");
  BOOST_TEST(payload.at("key_version").as_int64() == 1);
  BOOST_TEST(!payload.contains("value"));
  BOOST_TEST(stored[0].tenant_id == "t1");
  BOOST_TEST(test::all_events(f.io, *f.store, "secret_accessed").size() == 5u);
  BOOST_TEST(test::all_events(f.io, *f.store, "secret_deleted").size() == 1u);

  // Survives a restart.
  f.reopen();
  BOOST_TEST(value_of(f.reveal("t1", "api.key")) == std::string("\0binary\xff", 8));
  BOOST_TEST(!f.vault->exists("t1", "db-password"));
  BOOST_TEST(f.vault->size() == 3u);
}

BOOST_AUTO_TEST_CASE(put_rejects_bad_names_and_oversized_values) {
  Fixture f;
  auto bad_name = test::run_awaitable(f.io, f.vault->put("t1", "../etc", "v", ""));
  BOOST_TEST((bad_name.error().kind() == ErrorKind::invalid));
  auto bad_tenant = test::run_awaitable(f.io, f.vault->put("", "x", "v", ""));
  BOOST_TEST((bad_tenant.error().kind() == ErrorKind::invalid));
  auto too_big = test::run_awaitable(f.io, f.vault->put("t1", "x", std::string(64 * 1024 + 1, 'v'), ""));
  BOOST_TEST((too_big.error().kind() == ErrorKind::invalid));
  BOOST_TEST(f.vault->size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_master_key_file_is_created_0600_with_one_version) {
  Fixture f;
  struct stat st {};
  BOOST_REQUIRE(::stat((f.dir / "master.key").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  std::string content = test::read_bytes(f.dir / "master.key");
  BOOST_TEST(content.starts_with("v1 "));
  BOOST_TEST(content.size() == 3u + 64u + 1u);
  BOOST_TEST(f.vault->key_version() == 1);
}

BOOST_AUTO_TEST_CASE(a_flipped_ciphertext_byte_fails_with_a_clear_error) {
  Fixture f;
  f.put("t1", "a", "value-of-a");
  f.put("t1", "b", "value-of-b");
  f.close();
  {
    // One bit of one ciphertext byte, through a connection of its own.
    SqliteDatabase db(f.dir / "solo.db", OpenOptions{});
    SqliteStatement select(db.handle(), "SELECT ciphertext FROM secrets WHERE tenant_id = 't1' AND name = 'a'");
    BOOST_REQUIRE(select.step());
    std::string ciphertext = select.column_blob(0);
    select.reset();
    ciphertext[3] = static_cast<char>(ciphertext[3] ^ 0x01);
    SqliteStatement update(db.handle(), "UPDATE secrets SET ciphertext = ?1 WHERE tenant_id = 't1' AND name = 'a'");
    update.bind_blob(1, ciphertext);
    update.run();
  }
  f.open();
  auto result = f.reveal("t1", "a");
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST((result.error().kind() == ErrorKind::internal));
  BOOST_TEST(result.error().message() == "secret a" + kAuthFailure);
  BOOST_TEST(value_of(f.reveal("t1", "b")) == "value-of-b");
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_anywhere_in_nonce_tag_or_ciphertext_is_detected) {
  Fixture f;
  f.put("t1", "a", "value-of-a");
  f.close();
  // Read the row, flip each byte in turn through a second connection.
  for (const char* column : {"nonce", "ciphertext", "tag"}) {
    std::string original;
    {
      SqliteDatabase db(f.dir / "solo.db", OpenOptions{});
      SqliteStatement select(db.handle(), std::string("SELECT ") + column + " FROM secrets");
      BOOST_REQUIRE(select.step());
      original = select.column_blob(0);
    }
    for (size_t i = 0; i < original.size(); i += 3) {
      std::string flipped = original;
      flipped[i] = static_cast<char>(flipped[i] ^ 0x40);
      {
        SqliteDatabase db(f.dir / "solo.db", OpenOptions{});
        SqliteStatement update(db.handle(), std::string("UPDATE secrets SET ") + column + " = ?1");
        update.bind_blob(1, flipped);
        update.run();
      }
      f.open();
      auto result = f.reveal("t1", "a");
      BOOST_TEST(!result.has_value(), column << " byte " << i);
      f.close();
    }
    SqliteDatabase db(f.dir / "solo.db", OpenOptions{});
    SqliteStatement restore(db.handle(), std::string("UPDATE secrets SET ") + column + " = ?1");
    restore.bind_blob(1, original);
    restore.run();
  }
  f.open();
  BOOST_TEST(value_of(f.reveal("t1", "a")) == "value-of-a");
}

BOOST_AUTO_TEST_CASE(a_row_copied_onto_another_secret_or_tenant_fails_authentication) {
  Fixture f;
  f.put("t1", "a", "value-of-a");
  f.put("t1", "b", "value-of-b");
  f.put("t2", "a", "t2-value-of-a");
  f.tamper(
      "UPDATE secrets SET (nonce, ciphertext, tag, key_version) = "
      "(SELECT nonce, ciphertext, tag, key_version FROM secrets WHERE tenant_id = 't1' AND name = 'a') "
      "WHERE (tenant_id = 't1' AND name = 'b') OR (tenant_id = 't2' AND name = 'a')");
  f.open();
  BOOST_TEST(value_of(f.reveal("t1", "a")) == "value-of-a");
  auto swapped = f.reveal("t1", "b");
  BOOST_REQUIRE(!swapped.has_value());
  BOOST_TEST(swapped.error().message() == "secret b" + kAuthFailure);
  auto cross_tenant = f.reveal("t2", "a");
  BOOST_REQUIRE(!cross_tenant.has_value());
  BOOST_TEST(cross_tenant.error().message() == "secret a" + kAuthFailure);
}

BOOST_AUTO_TEST_CASE(a_wrong_master_key_fails_with_a_clear_error) {
  Fixture f;
  f.put("t1", "a", "value-of-a");
  f.close();
  std::filesystem::remove(f.dir / "master.key");
  f.open();  // creates a new, different master key
  auto result = f.reveal("t1", "a");
  BOOST_REQUIRE(!result.has_value());
  BOOST_TEST((result.error().kind() == ErrorKind::internal));
  BOOST_TEST(result.error().message() == "secret a" + kAuthFailure);
  BOOST_TEST(result.error().message().find("value-of-a") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_or_missing_configured_master_key_file_is_refused) {
  Fixture f;
  f.close();
  {
    std::ofstream out(f.dir / "master.key", std::ios::trunc);
    out << "v1 nothex\n";
  }
  auto store = test::run_awaitable(f.io, EventStore::open(f.io.get_executor(), f.dir / "solo.db"));
  VaultOptions options;
  options.master_key_file = f.dir / "master.key";
  BOOST_CHECK_THROW(Vault(store, options), std::runtime_error);
  options.master_key_file = f.dir / "configured.key";
  options.create_master_key = false;
  BOOST_CHECK_THROW(Vault(store, options), std::runtime_error);
  test::run_awaitable(f.io, store->close());
}

BOOST_AUTO_TEST_CASE(rotate_reencrypts_every_secret_in_batches_and_values_stay_readable) {
  Fixture f;
  f.batch = 40;
  f.reopen();
  for (int i = 0; i < 100; ++i) f.put(i % 2 ? "t1" : "t2", "s" + std::to_string(i), "value-" + std::to_string(i));
  auto report = test::run_awaitable(f.io, f.vault->rotate()).value();
  BOOST_TEST(report.key_version == 2);
  BOOST_TEST(report.reencrypted == 100);
  BOOST_TEST(report.batches == 3);
  BOOST_TEST(report.failed.empty());
  BOOST_TEST(f.vault->key_version() == 2);
  for (int i = 0; i < 100; ++i) {
    BOOST_TEST(value_of(f.reveal(i % 2 ? "t1" : "t2", "s" + std::to_string(i))) == "value-" + std::to_string(i));
  }
  for (const auto& info : f.vault->list("t1")) BOOST_TEST(info.key_version == 2);
  std::string keys = test::read_bytes(f.dir / "master.key");
  BOOST_TEST(keys.starts_with("v1 "));
  BOOST_TEST(keys.find("\nv2 ") != std::string::npos);
  struct stat st {};
  BOOST_REQUIRE(::stat((f.dir / "master.key").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(test::all_events(f.io, *f.store, "vault_reencrypted").size() == 3u);
  auto rotated = test::all_events(f.io, *f.store, "vault_rotated");
  BOOST_REQUIRE(rotated.size() == 1u);
  BOOST_TEST(boost::json::parse(rotated[0].payload).at("reencrypted").as_int64() == 100);

  // On disk too, and after a restart; new writes use v2.
  f.reopen();
  auto versions = test::run_awaitable(f.io, f.store->read<int64_t>([](Database& db) {
    return db.query_int("SELECT count(*) FROM secrets WHERE key_version = 2");
  }));
  BOOST_TEST(versions == 100);
  BOOST_TEST(value_of(f.reveal("t1", "s1")) == "value-1");
  f.put("t1", "new", "fresh");
  BOOST_TEST(f.vault->list("t1").back().key_version == 2);
}

BOOST_AUTO_TEST_CASE(rows_under_an_old_key_version_stay_readable_until_reencrypted) {
  Fixture f;
  f.put("t1", "a", "value-of-a");
  f.close();
  // A rotation cut short: v2 in the file, the row still under v1.
  std::string keys = test::read_bytes(f.dir / "master.key");
  std::filesystem::remove(f.dir / "master.key");
  {
    std::ofstream out(f.dir / "master.key");
    out << keys << "v2 " << solo::to_hex(crypto::random_bytes(32)) << "\n";
  }
  f.open();
  BOOST_TEST(f.vault->key_version() == 2);
  BOOST_TEST(value_of(f.reveal("t1", "a")) == "value-of-a");
  auto report = test::run_awaitable(f.io, f.vault->reencrypt()).value();
  BOOST_TEST(report.reencrypted == 1);
  BOOST_TEST(f.vault->list("t1")[0].key_version == 2);
  BOOST_TEST(value_of(f.reveal("t1", "a")) == "value-of-a");
}

namespace {
asio::awaitable<void> put_during_rotation(Vault* vault, std::vector<std::string>* errors) {
  auto stored = co_await vault->put("t1", "s3", "changed-during-rotation", "");
  if (!stored) errors->push_back(stored.error().message());
  auto removed = co_await vault->remove("t1", "s5", "");
  if (!removed) errors->push_back(removed.error().message());
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_put_or_delete_during_a_rotation_wins_over_the_reencryption) {
  Fixture f;
  f.batch = 2;
  f.reopen();
  for (int i = 0; i < 10; ++i) f.put("t1", "s" + std::to_string(i), "value-" + std::to_string(i));
  std::vector<std::string> errors;
  std::optional<RotationReport> report;
  asio::co_spawn(f.io, f.vault->rotate(), [&](std::exception_ptr e, VaultResult<RotationReport> r) {
    if (e) std::rethrow_exception(e);
    report = r.value();
  });
  asio::co_spawn(f.io, put_during_rotation(f.vault.get(), &errors), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  f.io.restart();
  f.io.run();
  BOOST_TEST(errors.empty());
  BOOST_REQUIRE(report.has_value());
  BOOST_TEST(value_of(f.reveal("t1", "s3")) == "changed-during-rotation");
  BOOST_TEST(!f.vault->exists("t1", "s5"));
  f.reopen();
  BOOST_TEST(value_of(f.reveal("t1", "s3")) == "changed-during-rotation");
  BOOST_TEST(!f.vault->exists("t1", "s5"));
  for (int i : {0, 1, 2, 4, 6, 9}) {
    BOOST_TEST(value_of(f.reveal("t1", "s" + std::to_string(i))) == "value-" + std::to_string(i));
  }
  for (const auto& info : f.vault->list("t1")) BOOST_TEST(info.key_version == 2);
}

BOOST_AUTO_TEST_CASE(access_denied_events_are_rate_limited) {
  Fixture f;
  for (int i = 0; i < 50; ++i) f.vault->record_access_denied("t1", "db", "not bound", "svc");
  auto denied = test::all_events(f.io, *f.store, "secret_access_denied");
  BOOST_TEST(denied.size() == 10u);
  BOOST_TEST(f.vault->denied_suppressed_total() == 40u);
  BOOST_TEST(denied[0].tenant_id == "t1");
  BOOST_TEST(denied[0].subject == "db");
  // Another tenant's denials have their own bucket.
  f.vault->record_access_denied("t2", "db", "not bound", "svc");
  BOOST_TEST(test::all_events(f.io, *f.store, "secret_access_denied").size() == 11u);
}

BOOST_AUTO_TEST_CASE(no_secret_value_appears_in_the_database_the_wal_or_any_event_payload) {
  Fixture f;
  std::vector<std::string> values;
  for (int i = 0; i < 30; ++i) {
    values.push_back("SECRET-VALUE-" + std::to_string(i) + "-" + solo::to_hex(crypto::random_bytes(8)));
    f.put("t" + std::to_string(i % 3), "name" + std::to_string(i), values.back());
  }
  for (int i = 0; i < 30; ++i) value_of(f.reveal("t" + std::to_string(i % 3), "name" + std::to_string(i)));
  test::run_awaitable(f.io, f.vault->rotate()).value();
  auto events = test::all_events(f.io, *f.store);
  std::string bytes = test::database_bytes(f.dir.path());
  std::string keys = test::read_bytes(f.dir / "master.key");
  BOOST_TEST(bytes.find("SECRET-VALUE") == std::string::npos);
  BOOST_TEST(keys.find("SECRET-VALUE") == std::string::npos);
  for (const auto& event : events) BOOST_TEST(event.payload.find("SECRET-VALUE") == std::string::npos);
  f.close();  // checkpointed into solo.db
  bytes = test::database_bytes(f.dir.path());
  BOOST_TEST(bytes.find("SECRET-VALUE") == std::string::npos);
  for (const auto& value : values) BOOST_TEST(bytes.find(value.substr(13)) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(crypto_primitives_match_known_answers) {
  BOOST_TEST(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(crypto::base64url("\xfb\xff") == "-_8");
  BOOST_TEST(crypto::base64url("foobar") == "Zm9vYmFy");
  BOOST_TEST(crypto::base64url("fooba") == "Zm9vYmE");
  // RFC 5869 test case 1.
  auto ikm = *solo::from_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
  auto salt = *solo::from_hex("000102030405060708090a0b0c");
  auto info = *solo::from_hex("f0f1f2f3f4f5f6f7f8f9");
  BOOST_TEST(solo::to_hex(crypto::hkdf_sha256(ikm, salt, info, 42)) ==
             "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

BOOST_AUTO_TEST_SUITE_END()
