// The storage verbs: `solo storage ls|get|put|rm|export|import ID ...`, each
// one or more requests to the /services/{id}/storage routes of
// docs/http-api.md ("Storage"). export writes every entry as a JSON line
// {"key", "value"} (all pages); import reads such lines and sends them in
// chunks of at most 1000 entries and 512 KiB, each chunk one all-or-nothing
// POST .../storage:import (the whole file is not atomic; docs/cli.md).
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "apps/cli_client.hpp"
#include "apps/cli_output.hpp"
#include "apps/cli_verbs.hpp"

namespace solo {

namespace {

constexpr size_t kImportChunkEntries = 1000;      // the route's cap per import
constexpr size_t kImportChunkBytes = 512 * 1024;  // well under the server's 1 MiB body limit
constexpr size_t kValueColumn = 60;               // ls shows values cut to this many bytes

std::string storage_path(const std::string& id) { return "/services/" + url_encode(id) + "/storage"; }

// A key as the rest of the path: every byte but the unreserved ones encoded
// ('/' too; the server decodes it back), and a key of only dots spelt with
// %2E, so no client or proxy resolves it as "." or "..".
std::string key_path(const std::string& id, const std::string& key) {
  std::string encoded = url_encode(key);
  if (encoded.find_first_not_of('.') == std::string::npos) {
    encoded.clear();
    for (size_t i = 0; i < key.size(); ++i) encoded += "%2E";
  }
  return storage_path(id) + "/" + encoded;
}

std::string page_target(const std::string& id, const std::string& prefix, const std::string& cursor, int64_t limit) {
  std::string target = storage_path(id) + "?limit=" + std::to_string(limit);
  if (!prefix.empty()) target += "&prefix=" + url_encode(prefix);
  if (!cursor.empty()) target += "&cursor=" + url_encode(cursor);
  return target;
}

// Every page from `cursor` on, each entry handed to `each`.
void for_each_entry(CliClient& client, const std::string& id, const std::string& prefix,
                    const std::function<void(const boost::json::value&)>& each) {
  std::string cursor;
  for (;;) {
    auto page = client.expect_json("GET", page_target(id, prefix, cursor, 1000));
    for (const auto& entry : page.at("entries").as_array()) each(entry);
    const auto& next = page.at("next_cursor");
    if (!next.is_string()) return;
    cursor = std::string(next.as_string());
  }
}

std::string cut(std::string text) {
  if (text.size() > kValueColumn) text = text.substr(0, kValueColumn - 3) + "...";
  return text;
}

// One page with --limit (from --cursor), else every page.
int storage_ls(const CliArgs& args) {
  expect_positionals(args, 2, 2);
  const auto& id = args.positional[1];
  auto prefix = args.value("--prefix").value_or("");
  CliClient client(args);
  boost::json::value body;
  if (auto limit = args.value("--limit")) {
    body = client.expect_json(
        "GET", page_target(id, prefix, args.value("--cursor").value_or(""), parse_count(*limit, "--limit")));
  } else {
    if (args.value("--cursor")) throw UsageError("--cursor goes with --limit (one page)");
    boost::json::array all;
    for_each_entry(client, id, prefix, [&all](const boost::json::value& entry) { all.push_back(entry); });
    body = boost::json::object{{"entries", std::move(all)}, {"next_cursor", nullptr}};
  }
  if (args.flag("--json")) {
    std::cout << boost::json::serialize(body) << "\n";
    return kExitOk;
  }
  const auto& entries = body.at("entries").as_array();
  if (entries.empty()) {
    std::cout << "no keys\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : entries) {
    rows.push_back({std::string(entry.at("key").as_string()), cut(boost::json::serialize(entry.at("value")))});
  }
  print_table(std::cout, {"KEY", "VALUE"}, rows);
  if (const auto& next = body.at("next_cursor"); next.is_string()) {
    std::cout << "(more: --cursor " << plain_text(next) << ")\n";
  }
  return kExitOk;
}

int storage_get(const CliArgs& args) {
  expect_positionals(args, 3, 3);
  CliClient client(args);
  auto response = client.expect("GET", key_path(args.positional[1], args.positional[2]));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  std::cout << pretty_json(boost::json::parse(response.body).at("value")) << "\n";
  return kExitOk;
}

int storage_put(const CliArgs& args) {
  auto file = args.value("--file");
  expect_positionals(args, file ? 3 : 4, file ? 3 : 4);
  auto value = file ? json_argument(read_source(*file), "the value in " + *file)
                    : json_argument(args.positional[3], "the value");
  CliClient client(args);
  auto response = client.expect("PUT", key_path(args.positional[1], args.positional[2]),
                                boost::json::serialize(boost::json::object{{"value", std::move(value)}}));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  auto reply = boost::json::parse(response.body);
  std::cout << "put " << args.positional[2] << " (" << field_text(reply, "bytes") << " bytes)\n";
  return kExitOk;
}

int storage_rm(const CliArgs& args) {
  expect_positionals(args, 3, 3);
  CliClient client(args);
  auto response = client.expect("DELETE", key_path(args.positional[1], args.positional[2]));
  if (args.flag("--json")) {
    std::cout << response.body << "\n";
    return kExitOk;
  }
  bool deleted = boost::json::parse(response.body).at("deleted").as_bool();
  std::cout << (deleted ? "deleted " : "no key ") << args.positional[2] << "\n";
  return kExitOk;
}

int storage_export(const CliArgs& args) {
  expect_positionals(args, 2, 2);
  CliClient client(args);
  for_each_entry(client, args.positional[1], args.value("--prefix").value_or(""),
                 [](const boost::json::value& entry) { std::cout << boost::json::serialize(entry) << "\n"; });
  std::cout.flush();
  return kExitOk;
}

// Every line checked before the first chunk is sent: a malformed file imports nothing.
std::vector<boost::json::object> read_lines(std::istream& in, const std::string& name) {
  std::vector<boost::json::object> entries;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(line, ec);
    const auto* entry = ec ? nullptr : parsed.if_object();
    if (!entry || !entry->contains("key") || !entry->at("key").is_string() || !entry->contains("value")) {
      throw UsageError(name + " line " + std::to_string(number) +
                       " is not a JSON line {\"key\": string, \"value\": JSON}");
    }
    entries.push_back({{"key", entry->at("key")}, {"value", entry->at("value")}});
  }
  return entries;
}

int storage_import(const CliArgs& args) {
  expect_positionals(args, 2, 3);
  const auto& id = args.positional[1];
  std::string name = args.positional.size() > 2 ? args.positional[2] : "-";
  std::vector<boost::json::object> entries;
  if (name == "-") {
    entries = read_lines(std::cin, "stdin");
  } else {
    std::ifstream in(name, std::ios::binary);
    if (!in) throw UsageError("cannot read " + name);
    entries = read_lines(in, name);
  }
  CliClient client(args);
  size_t imported = 0;
  size_t chunks = 0;
  boost::json::array chunk;
  size_t chunk_bytes = 0;
  auto send = [&] {
    if (chunk.empty()) return;
    auto response = client.send("POST", storage_path(id) + ":import",
                                boost::json::serialize(boost::json::object{{"entries", std::move(chunk)}}));
    if (response.status / 100 != 2) {
      auto error = server_error(response);
      std::string what = error.what();  // "STATUS CODE: message"
      const auto colon = what.find(": ");
      throw ServerError(error.status(), error.code(),
                        (colon == std::string::npos ? what : what.substr(colon + 2)) + " (" + std::to_string(imported) + " entries in " +
                            std::to_string(chunks) + " earlier chunks were imported; this chunk was not)");
    }
    imported += boost::json::parse(response.body).at("imported").to_number<size_t>();
    ++chunks;
    chunk = {};
    chunk_bytes = 0;
  };
  for (auto& entry : entries) {
    size_t bytes = boost::json::serialize(entry).size() + 1;
    if (chunk.size() == kImportChunkEntries || (!chunk.empty() && chunk_bytes + bytes > kImportChunkBytes)) send();
    chunk_bytes += bytes;
    chunk.push_back(std::move(entry));
  }
  send();
  if (args.flag("--json")) {
    std::cout << boost::json::serialize(boost::json::object{{"imported", imported}, {"chunks", chunks}}) << "\n";
    return kExitOk;
  }
  std::cout << "imported " << imported << " entries into " << id << " (" << chunks << " chunks)\n";
  return kExitOk;
}

int cmd_storage(const CliArgs& args) {
  if (args.positional.empty()) throw UsageError("missing subcommand: ls, get, put, rm, export or import");
  const auto& sub = args.positional[0];
  if (sub == "ls") return storage_ls(args);
  if (sub == "get") return storage_get(args);
  if (sub == "put") return storage_put(args);
  if (sub == "rm") return storage_rm(args);
  if (sub == "export") return storage_export(args);
  if (sub == "import") return storage_import(args);
  throw UsageError("unknown subcommand '" + sub + "' (ls, get, put, rm, export or import)");
}

}  // namespace

std::vector<Verb> storage_verbs() {
  return {
      {"storage",
       "storage ls ID [--prefix P] [--limit N [--cursor KEY]] | storage get ID KEY\n"
       "       | storage put ID KEY (JSON|-|--file F) | storage rm ID KEY\n"
       "       | storage export ID [--prefix P] > FILE | storage import ID [FILE|-]",
       "a service's durable data (solo.storage): list, read, write, delete; export as JSON lines,\n"
       "      import them (in chunks of up to 1000 entries, each chunk all or nothing)",
       {"--prefix", "--limit", "--cursor", "--file"},
       {},
       cmd_storage},
  };
}

}  // namespace solo
