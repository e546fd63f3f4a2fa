// The real `solo` CLI against the real server: every client verb in its
// readable form and with --json, following events and logs, tenants through
// --tenant and $SOLO_TENANT, and the exit codes of docs/cli.md (1 server
// error, 2 usage, 3 server unreachable).
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "support/async_test.hpp"
#include "support/solo_process.hpp"

using namespace solo;
using solo::test::SoloProcess;
namespace json = boost::json;

namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string example(const std::string& name) { return std::string(SOLO_SOURCE_DIR) + "/examples/" + name; }

// A `solo` CLI process with stdout and stderr in files; the environment is
// cleared of SOLO_* first so that only `env` speaks.
class CliProcess {
 public:
  CliProcess(const std::filesystem::path& dir, std::vector<std::string> args, const Env& env = {}) {
    static int counter = 0;
    auto stem = "cli-" + std::to_string(++counter);
    out_ = dir / (stem + ".out");
    err_ = dir / (stem + ".err");
    args.insert(args.begin(), SOLO_BINARY);
    pid_ = fork();
    BOOST_TEST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int in = ::open("/dev/null", O_RDONLY);
      dup2(out, 1);
      dup2(err, 2);
      dup2(in, 0);
      for (const char* name : {"SOLO_URL", "SOLO_TENANT", "SOLO_TOKEN"}) unsetenv(name);
      for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~CliProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits for the exit; the code, or -1 after a timeout (the process is killed).
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
  // Waits until stdout contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (out().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  void interrupt() {
    if (pid_ > 0) ::kill(pid_, SIGINT);
  }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }

 private:
  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Runs `solo ARGS...` to completion.
Result run(const std::filesystem::path& dir, std::vector<std::string> args, const Env& env = {}) {
  CliProcess process(dir, std::move(args), env);
  int code = process.wait();
  return {code, process.out(), process.err()};
}

// A running server and a way to run the CLI against it.
struct Fixture {
  test::TempDir dir;
  SoloProcess solo{dir / "data", {"--heartbeat-ms", "200"}};

  // Runs the CLI against this server with its admin token ($SOLO_TOKEN).
  Result cli(std::vector<std::string> args, Env env = {}) {
    args.push_back("--url");
    args.push_back(solo.url());
    env.emplace_back("SOLO_TOKEN", solo.admin_token());
    return run(dir.path(), std::move(args), env);
  }
  Env token_env() const { return {{"SOLO_TOKEN", solo.admin_token()}}; }
  std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  std::filesystem::path write(const std::string& name, const std::string& code) {
    auto path = dir / name;
    std::ofstream(path) << code;
    return path;
  }
};

// Runs the expression once and requires exit code 0, showing the output otherwise.
#define EXPECT_OK(expr)                                                                          \
  do {                                                                                           \
    const Result& result_ = (expr);                                                              \
    BOOST_TEST_REQUIRE(result_.code == 0, "exit " << result_.code << ": " << result_.err << result_.out); \
  } while (false)

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_FIXTURE_TEST_CASE(deploy_list_status_call_cast_swap_and_kill_print_readably_and_as_json, Fixture) {
  auto deployed = cli({"deploy", example("counter.lua")});
  EXPECT_OK(deployed);
  BOOST_TEST(deployed.out == "deployed counter (version 1)\n");
  auto store = cli({"deploy", example("kv.lua"), "--id", "store", "--limit", "mailbox=10", "--json"});
  EXPECT_OK(store);
  auto store_body = json::parse(store.out);
  BOOST_TEST(store_body.at("service_id").as_string() == "store");
  BOOST_TEST(store_body.at("version").as_int64() == 1);
  EXPECT_OK(cli({"deploy", example("counter.lua"), "--id", "from-ten", "--config", R"({"start": 10})"}));

  auto list = cli({"list"});
  EXPECT_OK(list);
  auto rows = lines(list.out);
  BOOST_TEST_REQUIRE(rows.size() == 4u, list.out);
  BOOST_TEST(rows[0].rfind("SERVICE", 0) == 0);
  auto status_column = rows[0].find("STATUS");
  for (size_t i = 1; i < rows.size(); ++i) BOOST_TEST(rows[i].substr(status_column, 7) == "running", rows[i]);
  BOOST_TEST(rows[1].rfind("counter ", 0) == 0);
  BOOST_TEST(rows[3].rfind("store ", 0) == 0);
  auto list_json = cli({"list", "--json"});
  EXPECT_OK(list_json);
  BOOST_TEST(json::parse(list_json.out).at("total").as_int64() == 3);
  auto page = json::parse(cli({"list", "--json", "--limit", "1", "--offset", "1"}).out);
  BOOST_TEST(page.at("services").as_array().size() == 1u);
  BOOST_TEST(page.at("services").at(0).at("service_id").as_string() == "from-ten");
  auto none = cli({"list", "--status", "crashed"});
  EXPECT_OK(none);
  BOOST_TEST(none.out == "no services\n");

  auto status = cli({"status", "counter"});
  EXPECT_OK(status);
  BOOST_TEST(status.out.find("service_id:") == 0u, status.out);
  for (const char* line : {"\nstatus:            running\n", "\nversion:           1\n", "\nalive:             true\n"}) {
    BOOST_TEST(status.out.find(line) != std::string::npos, status.out);
  }
  BOOST_TEST(json::parse(cli({"status", "counter", "--json"}).out).at("status").as_string() == "running");

  auto call = cli({"call", "counter", R"({"op": "inc", "by": 3})"});
  EXPECT_OK(call);
  BOOST_TEST(call.out == "{\n  \"count\": 3\n}\n");
  auto call_json = cli({"call", "counter", R"({"op": "inc"})", "--json"});
  EXPECT_OK(call_json);
  BOOST_TEST(json::parse(call_json.out) == json::parse(R"({"reply": {"count": 4}})"));
  BOOST_TEST(json::parse(cli({"call", "from-ten", R"({"op": "get"})", "--json"}).out).at("reply").at("count") == 10);

  auto cast = cli({"cast", "counter", R"({"op": "inc", "by": 6})"});
  EXPECT_OK(cast);
  BOOST_TEST(cast.out == "queued for counter\n");
  BOOST_TEST(json::parse(cli({"call", "counter", R"({"op": "get"})", "--json"}).out).at("reply").at("count") == 10);

  EXPECT_OK(cli({"call", "store", R"({"op": "put", "key": "k", "value": "v"})"}));
  auto swap = cli({"swap", "store", example("kv_v2.lua"), "--rollback-window-ms", "1000"});
  EXPECT_OK(swap);
  BOOST_TEST(swap.out == "swapped store to version 2\n");
  BOOST_TEST(json::parse(cli({"call", "store", R"({"op": "stats"})", "--json"}).out).at("reply").at("count") == 1);

  auto kill = cli({"kill", "counter"});
  EXPECT_OK(kill);
  BOOST_TEST(kill.out == "killed counter\n");
  EXPECT_OK(cli({"kill", "from-ten", "--force", "--json"}));
  auto gone = cli({"status", "counter"});
  BOOST_TEST(gone.code == 1);
  BOOST_TEST(gone.err.find("404 not_found") != std::string::npos, gone.err);
  BOOST_TEST(gone.err.find("counter") != std::string::npos, gone.err);
  BOOST_TEST(lines(cli({"list"}).out).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(logs_and_events_list_filter_and_follow, Fixture) {
  auto chatty = write("chatty.lua", R"(
function handle_call(msg, state)
  solo.log(msg.level or "info", msg.text)
  return true, state
end
)");
  EXPECT_OK(cli({"deploy", chatty.string()}));
  EXPECT_OK(cli({"call", "chatty", R"({"text": "hello"})"}));
  EXPECT_OK(cli({"call", "chatty", R"({"level": "error", "text": "oops"})"}));

  auto logs = cli({"logs", "chatty"});
  EXPECT_OK(logs);
  auto rows = lines(logs.out);
  BOOST_TEST_REQUIRE(rows.size() == 2u, logs.out);
  BOOST_TEST(rows[0].find("info   chatty  hello") != std::string::npos, rows[0]);
  BOOST_TEST(rows[1].find("error  chatty  oops") != std::string::npos, rows[1]);
  auto errors = cli({"logs", "--level", "error", "--json"});
  EXPECT_OK(errors);
  rows = lines(errors.out);
  BOOST_TEST_REQUIRE(rows.size() == 1u, errors.out);
  BOOST_TEST(json::parse(rows[0]).at("message").as_string() == "oops");

  auto events = cli({"events", "--service", "chatty"});
  EXPECT_OK(events);
  rows = lines(events.out);
  BOOST_TEST_REQUIRE(rows.size() == 2u, events.out);
  BOOST_TEST(rows[0].find("service_deployed") != std::string::npos);
  BOOST_TEST(rows[1].find("service_started") != std::string::npos);
  auto typed = cli({"events", "--type", "system_started", "--json"});
  EXPECT_OK(typed);
  rows = lines(typed.out);
  BOOST_TEST_REQUIRE(rows.size() == 1u, typed.out);
  BOOST_TEST(json::parse(rows[0]).at("event_type").as_string() == "system_started");
  auto since = cli({"events", "--since", "1", "--json"});
  for (const auto& row : lines(since.out)) BOOST_TEST(json::parse(row).at("id").as_int64() > 1);

  CliProcess follow_events(dir.path(), {"events", "-f", "--type", "service_killed", "--url", solo.url()}, token_env());
  CliProcess follow_logs(dir.path(), {"logs", "-f", "chatty", "--json", "--url", solo.url()}, token_env());
  BOOST_TEST(follow_logs.wait_for_output("oops"));
  EXPECT_OK(cli({"call", "chatty", R"({"text": "live line"})"}));
  BOOST_TEST(follow_logs.wait_for_output("live line"), follow_logs.out() << follow_logs.err());
  EXPECT_OK(cli({"kill", "chatty"}));
  BOOST_TEST(follow_events.wait_for_output("service_killed"), follow_events.out() << follow_events.err());
  BOOST_TEST(follow_events.out().find("service=chatty") != std::string::npos);
  follow_events.interrupt();
  follow_logs.interrupt();
  BOOST_TEST(follow_events.wait(std::chrono::seconds(5)) != -1);
  BOOST_TEST(follow_logs.wait(std::chrono::seconds(5)) != -1);
}

BOOST_FIXTURE_TEST_CASE(tenants_come_from_the_tenant_option_or_solo_tenant, Fixture) {
  EXPECT_OK(cli({"deploy", example("counter.lua"), "--tenant", "alice"}));
  BOOST_TEST(cli({"list"}).out == "no services\n");
  BOOST_TEST(cli({"status", "counter"}).code == 1);
  auto alice = cli({"list"}, {{"SOLO_TENANT", "alice"}});
  EXPECT_OK(alice);
  BOOST_TEST(lines(alice.out).size() == 2u, alice.out);
  EXPECT_OK(cli({"call", "counter", R"({"op": "inc"})", "--tenant", "alice"}));
  // SOLO_URL stands in for --url.
  auto via_env = run(dir.path(), {"status", "counter", "--tenant", "alice"},
                     {{"SOLO_URL", solo.url()}, {"SOLO_TOKEN", solo.admin_token()}});
  EXPECT_OK(via_env);
  BOOST_TEST(via_env.out.find("alice") != std::string::npos, via_env.out);
}

BOOST_FIXTURE_TEST_CASE(a_tenant_token_cannot_deploy_raised_limits_and_sees_why, Fixture) {
  auto admin = solo.client();
  auto minted = admin.request("POST", "/tokens",
                              R"({"tenant_id": "alice", "permissions": ["deploy", "call"], "ttl_seconds": 600})");
  BOOST_TEST_REQUIRE(minted.status == 201, minted.body);
  const std::string token(boost::json::parse(minted.body).at("token").as_string());
  auto raised = cli({"deploy", example("counter.lua"), "--limit", "instructions_per_message=1000000000", "--token",
                     token});
  BOOST_TEST(raised.code == 1);
  BOOST_TEST(raised.err.find("429 quota_exceeded: quota 'instructions_per_message' of tenant alice exceeded: "
                             "limits.instructions_per_message 1000000000 is above the tenant's maximum 100000000") !=
                 std::string::npos,
             raised.err);
  EXPECT_OK(cli({"deploy", example("counter.lua"), "--limit", "instructions_per_message=1000000", "--token", token}));
}

BOOST_FIXTURE_TEST_CASE(tenant_quota_shows_and_sets_and_tenant_show_reports_use, Fixture) {
  auto shown = cli({"tenant", "quota", "alice"});
  EXPECT_OK(shown);
  BOOST_TEST(shown.out.find("event_log_bytes_per_hour") != std::string::npos, shown.out);
  auto set = cli({"tenant", "quota", "alice", "services=1", "tokens=7"});
  EXPECT_OK(set);
  auto quota = boost::json::parse(cli({"tenant", "quota", "alice", "--json"}).out);
  BOOST_TEST(quota.at("quota").at("services").to_number<int64_t>() == 1);
  BOOST_TEST(quota.at("quota").at("tokens").to_number<int64_t>() == 7);
  BOOST_TEST(quota.at("quota").at("secrets").to_number<int64_t>() == 1000);  // unset: the default
  EXPECT_OK(cli({"deploy", example("counter.lua"), "--tenant", "alice"}));
  auto second = cli({"deploy", example("counter.lua"), "--id", "counter2", "--tenant", "alice"});
  BOOST_TEST(second.code == 1);
  BOOST_TEST(second.err.find("429 quota_exceeded: quota 'services' of tenant alice exceeded: limit 1, in use 1") !=
                 std::string::npos,
             second.err);
  auto use = cli({"tenant", "show", "alice"});
  EXPECT_OK(use);
  BOOST_TEST(use.out.find("services") != std::string::npos, use.out);
  auto use_json = boost::json::parse(cli({"tenant", "show", "alice", "--json"}).out);
  BOOST_TEST(use_json.at("quota").at("services").at("used").to_number<int64_t>() == 1);
  // An unknown quota is the server's 400; a value that is not a count, a usage error.
  auto unknown = cli({"tenant", "quota", "alice", "servicez=1"});
  BOOST_TEST(unknown.code == 1);
  BOOST_TEST(unknown.err.find("400 invalid_request: unknown quota 'servicez'") != std::string::npos, unknown.err);
  BOOST_TEST(cli({"tenant", "quota", "alice", "services=x"}).code == 2);
  BOOST_TEST(cli({"tenant", "quota", "alice", "services"}).code == 2);
  BOOST_TEST(cli({"tenant", "frobnicate", "alice"}).code == 2);
}

BOOST_FIXTURE_TEST_CASE(failures_have_clear_messages_and_exit_codes, Fixture) {
  // 1: the server said no, and its message is shown.
  auto unknown = cli({"call", "nobody", "{}"});
  BOOST_TEST(unknown.code == 1);
  BOOST_TEST(unknown.err.find("solo call: 404 not_found: ") == 0u, unknown.err);
  BOOST_TEST(unknown.out.empty());
  auto broken = write("broken.lua", "function handle_call(msg, state)\n  return (\nend\n");
  auto compile = cli({"deploy", broken.string()});
  BOOST_TEST(compile.code == 1);
  BOOST_TEST(compile.err.find("400 invalid_request") != std::string::npos, compile.err);
  BOOST_TEST(compile.err.find(":3:") != std::string::npos, compile.err);
  EXPECT_OK(cli({"deploy", example("counter.lua")}));
  auto duplicate = cli({"deploy", example("counter.lua")});
  BOOST_TEST(duplicate.code == 1);
  BOOST_TEST(duplicate.err.find("409 conflict") != std::string::npos, duplicate.err);
  auto service_error = cli({"call", "counter", R"({"op": "explode"})"});
  BOOST_TEST(service_error.code == 1);
  BOOST_TEST(service_error.err.find("500 service_error") != std::string::npos, service_error.err);
  BOOST_TEST(service_error.err.find("unknown op explode") != std::string::npos, service_error.err);

  auto bad_token = cli({"list", "--token", "not-a-token"});
  BOOST_TEST(bad_token.code == 1);
  BOOST_TEST(bad_token.err.find("401 unauthorized") != std::string::npos, bad_token.err);

  // 2: usage.
  for (const auto& args : std::vector<std::vector<std::string>>{{"call"},
                                                                {"call", "counter", "{not json"},
                                                                {"list", "--bogus"},
                                                                {"deploy", "/nonexistent/file.lua"},
                                                                {"deploy", example("counter.lua"), "--limit", "mailbox"},
                                                                {"swap", "counter"},
                                                                {"events", "--since", "-4"},
                                                                {"frobnicate"}}) {
    auto usage = cli(args);
    BOOST_TEST(usage.code == 2, args[0] << ": " << usage.err);
    BOOST_TEST(!usage.err.empty());
  }
  auto bad_url = run(dir.path(), {"list", "--url", "ftp://example.org"});
  BOOST_TEST(bad_url.code == 2, bad_url.err);

  // help lists every verb.
  auto help = run(dir.path(), {"help"});
  EXPECT_OK(help);
  for (const char* verb : {"serve", "health", "deploy", "list", "status", "call", "cast", "swap", "kill", "logs",
                           "events", "help"}) {
    BOOST_TEST(help.out.find(std::string("  solo ") + verb) != std::string::npos, verb);
  }
  auto verb_help = run(dir.path(), {"deploy", "--help"});
  EXPECT_OK(verb_help);
  BOOST_TEST(verb_help.out.find("usage: solo deploy FILE") == 0u, verb_help.out);
  BOOST_TEST(run(dir.path(), {}).code == 2);

  // 3: nobody is listening.
  auto url = solo.url();
  BOOST_TEST(solo.terminate().value_or(-1) == 0);
  for (const auto& verb : std::vector<std::vector<std::string>>{{"list"}, {"call", "counter", "{}"}, {"events", "-f"}}) {
    auto args = verb;
    args.push_back("--url");
    args.push_back(url);
    auto down = run(dir.path(), args);
    BOOST_TEST(down.code == 3, verb[0] << ": " << down.err);
    BOOST_TEST(down.err.find("cannot connect") != std::string::npos, down.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
