// Tests for engine/supervision: strategies, restart types, intensity,
// start order and failures, stop order and deadlines.
#include "engine/actor/mailbox.hpp"
#include "base/run_until.hpp"
#include "engine/supervision/supervisor.hpp"
#include "support/engine_coro.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using solo::ChildContext;
using solo::ChildSpec;
using solo::ChildState;
using solo::Restart;
using solo::Strategy;
using solo::Supervisor;
using solo::run_until_complete;

namespace {

using Log = std::vector<std::string>;
using Commands = solo::Mailbox<std::string>;

// A child that logs "start X", reports ready, then obeys one command:
// "crash" throws, "exit" returns; when cancelled it logs "stop X".
asio::awaitable<void> commanded_child(std::shared_ptr<Log> log, std::string name, std::shared_ptr<Commands> commands,
                                      ChildContext context) {
  log->push_back("start " + name);
  context.ready();
  std::optional<std::string> command;
  try {
    command = co_await commands->pop();
  } catch (const boost::system::system_error&) {
    log->push_back("stop " + name);
    throw;
  }
  if (command == "crash") throw std::runtime_error(name + " crashed");
}

// Logs "begin X", takes `delay` to become ready, logs "ready X", then waits.
asio::awaitable<void> slow_ready_child(std::shared_ptr<Log> log, std::string name, std::chrono::milliseconds delay,
                                       ChildContext context) {
  log->push_back("begin " + name);
  co_await solo::test::sleep_for(delay);
  log->push_back("ready " + name);
  context.ready();
  co_await solo::test::wait_forever();
}

// Throws before ever becoming ready.
asio::awaitable<void> failing_child(std::shared_ptr<Log> log, std::string name, ChildContext context) {
  log->push_back("start " + name);
  co_await solo::test::sleep_for(1ms);
  throw std::runtime_error("cannot open " + name);
}

// Ignores cancellation entirely and sleeps for a long time.
asio::awaitable<void> stubborn_child(std::shared_ptr<Log> log, ChildContext context) {
  co_await asio::this_coro::reset_cancellation_state(asio::disable_cancellation());
  context.ready();
  co_await solo::test::sleep_for(30s);
  log->push_back("stubborn finished");
}

asio::awaitable<void> idle(std::chrono::milliseconds d) { co_await solo::test::sleep_for(d); }

struct Harness {
  asio::io_context io;
  std::shared_ptr<Log> log = std::make_shared<Log>();
  std::map<std::string, std::shared_ptr<Commands>> commands;
  std::vector<solo::SupervisorEvent> events;

  ChildSpec child(std::string name, Restart restart = Restart::permanent) {
    auto box = std::make_shared<Commands>(io.get_executor(), 8);
    commands[name] = box;
    auto shared_log = log;
    ChildSpec spec;
    spec.name = name;
    spec.restart = restart;
    spec.stop_deadline = 1000ms;
    spec.run = [shared_log, name, box](ChildContext context) { return commanded_child(shared_log, name, box, std::move(context)); };
    return spec;
  }

  std::shared_ptr<Supervisor> supervisor(std::string name, Strategy strategy, solo::Intensity intensity = {}) {
    auto sup = Supervisor::create(io.get_executor(), std::move(name), strategy, intensity);
    sup->on_event([this](const solo::SupervisorEvent& e) { events.push_back(e); });
    return sup;
  }

  void send(const std::string& name, const std::string& command) { BOOST_REQUIRE(commands[name]->try_push(command)); }
  void settle(std::chrono::milliseconds d = 30ms) { run_until_complete(io, idle(d)); }
  void run(asio::awaitable<void> op) { run_until_complete(io, std::move(op), 10s); }

  // The log entries after the first `n`.
  Log log_after(std::size_t n) const { return Log(log->begin() + static_cast<long>(n), log->end()); }

  bool saw(const std::string& supervisor, const std::string& child, const std::string& kind) const {
    return std::any_of(events.begin(), events.end(), [&](const solo::SupervisorEvent& e) {
      return e.supervisor == supervisor && e.child == child && e.kind == kind;
    });
  }
};

int restarts_of(const std::shared_ptr<Supervisor>& sup, const std::string& name) {
  for (const auto& info : sup->children())
    if (info.name == name) return info.restarts;
  return -1;
}

ChildState state_of(const std::shared_ptr<Supervisor>& sup, const std::string& name) {
  for (const auto& info : sup->children())
    if (info.name == name) return info.state;
  throw std::runtime_error("no child " + name);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(supervision)

BOOST_AUTO_TEST_CASE(one_for_one_restarts_only_the_crashed_child) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::one_for_one);
  for (auto name : {"a", "b", "c"}) sup->add_child(h.child(name));
  h.run(sup->start());
  h.send("b", "crash");
  h.settle();
  BOOST_TEST(h.log_after(3) == (Log{"start b"}), boost::test_tools::per_element());
  BOOST_TEST(restarts_of(sup, "a") == 0);
  BOOST_TEST(restarts_of(sup, "b") == 1);
  BOOST_TEST(restarts_of(sup, "c") == 0);
  BOOST_TEST(h.saw("sys", "b", "child_crashed"));
  BOOST_TEST(h.saw("sys", "b", "child_restarted"));
  h.run(sup->stop());
}

BOOST_AUTO_TEST_CASE(rest_for_one_restarts_the_crashed_child_and_those_after_it_in_order) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::rest_for_one);
  for (auto name : {"a", "b", "c", "d"}) sup->add_child(h.child(name));
  h.run(sup->start());
  h.send("b", "crash");
  h.settle();
  BOOST_TEST(h.log_after(4) == (Log{"stop d", "stop c", "start b", "start c", "start d"}),
             boost::test_tools::per_element());
  BOOST_TEST(restarts_of(sup, "a") == 0);
  BOOST_TEST(restarts_of(sup, "b") == 1);
  BOOST_TEST(restarts_of(sup, "d") == 1);
  h.run(sup->stop());
}

BOOST_AUTO_TEST_CASE(transient_is_not_restarted_on_normal_exit_but_is_on_crash) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::one_for_one);
  sup->add_child(h.child("t", Restart::transient));
  h.run(sup->start());
  h.send("t", "crash");
  h.settle();
  BOOST_TEST(h.log_after(1) == (Log{"start t"}), boost::test_tools::per_element());
  BOOST_TEST((state_of(sup, "t") == ChildState::running));
  h.send("t", "exit");
  h.settle();
  BOOST_TEST(h.log_after(2).empty());
  BOOST_TEST((state_of(sup, "t") == ChildState::stopped));
  BOOST_TEST(h.saw("sys", "t", "child_exited"));
  h.run(sup->stop());
}

BOOST_AUTO_TEST_CASE(temporary_is_never_restarted_and_is_removed) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::one_for_one);
  sup->add_child(h.child("p"));
  sup->add_child(h.child("tmp", Restart::temporary));
  h.run(sup->start());
  h.send("tmp", "crash");
  h.settle();
  BOOST_TEST(h.log_after(2).empty());
  BOOST_TEST(sup->children().size() == 1u);
  BOOST_TEST(sup->children()[0].name == "p");
  h.run(sup->stop());
}

BOOST_AUTO_TEST_CASE(intensity_exceeded_escalates_to_the_parent_and_stops_the_children) {
  Harness h;
  auto outer = h.supervisor("outer", Strategy::one_for_one, {5, 5000ms});
  auto inner = h.supervisor("inner", Strategy::one_for_one, {1, 5000ms});
  inner->add_child(h.child("a"));
  inner->add_child(h.child("b"));
  outer->add_child(inner->as_child(3000ms));
  h.run(outer->start());
  h.send("a", "crash");  // restart 1: within intensity
  h.settle();
  BOOST_TEST(!h.saw("inner", "a", "gave_up"));
  const auto before = h.log->size();
  h.send("a", "crash");  // restart 2 > max_restarts 1: give up
  h.settle(60ms);
  BOOST_TEST(h.saw("inner", "a", "gave_up"));
  BOOST_TEST(h.saw("outer", "inner", "child_crashed"));
  BOOST_TEST(h.saw("outer", "inner", "child_restarted"));
  // b was stopped by the give-up, then the parent restarted inner (a, b).
  BOOST_TEST(h.log_after(before) == (Log{"stop b", "start a", "start b"}), boost::test_tools::per_element());
  BOOST_TEST(restarts_of(outer, "inner") == 1);
  h.run(outer->stop());
  BOOST_TEST(h.log->back() == "stop a");
}

BOOST_AUTO_TEST_CASE(a_top_level_supervisor_reports_giving_up) {
  Harness h;
  auto sup = h.supervisor("top", Strategy::one_for_one, {0, 5000ms});
  sup->add_child(h.child("a"));
  h.run(sup->start());
  h.send("a", "crash");
  auto reason = run_until_complete(h.io, sup->wait_gave_up(), 5s);
  BOOST_TEST(reason.find("exited too often") != std::string::npos);
  BOOST_TEST(sup->gave_up());
  BOOST_TEST((state_of(sup, "a") == ChildState::failed));
}

BOOST_AUTO_TEST_CASE(a_child_that_throws_during_start_fails_start_and_stops_the_earlier_children_in_reverse) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::rest_for_one);
  sup->add_child(h.child("a"));
  sup->add_child(h.child("b"));
  ChildSpec bad;
  bad.name = "db";
  auto log = h.log;
  bad.run = [log](ChildContext context) { return failing_child(log, "db", std::move(context)); };
  sup->add_child(bad);
  sup->add_child(h.child("never"));
  std::string message;
  try {
    h.run(sup->start());
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  BOOST_TEST(message.find("db") != std::string::npos);
  BOOST_TEST(message.find("cannot open db") != std::string::npos);
  BOOST_TEST(*h.log == (Log{"start a", "start b", "start db", "stop b", "stop a"}), boost::test_tools::per_element());
  BOOST_TEST(!sup->running());
}

BOOST_AUTO_TEST_CASE(children_start_in_order_each_ready_before_the_next) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::rest_for_one);
  auto log = h.log;
  for (auto [name, delay] : {std::pair{"first", 30ms}, std::pair{"second", 0ms}, std::pair{"third", 10ms}}) {
    ChildSpec spec;
    spec.name = name;
    spec.run = [log, name = std::string(name), delay = delay](ChildContext context) {
      return slow_ready_child(log, name, delay, std::move(context));
    };
    sup->add_child(spec);
  }
  h.run(sup->start());
  BOOST_TEST(*h.log == (Log{"begin first", "ready first", "begin second", "ready second", "begin third", "ready third"}),
             boost::test_tools::per_element());
  h.run(sup->stop());
}

BOOST_AUTO_TEST_CASE(stop_runs_in_reverse_order) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::one_for_one);
  for (auto name : {"a", "b", "c"}) sup->add_child(h.child(name));
  h.run(sup->start());
  h.run(sup->stop());
  BOOST_TEST(h.log_after(3) == (Log{"stop c", "stop b", "stop a"}), boost::test_tools::per_element());
  for (const auto& info : sup->children()) BOOST_TEST((info.state == ChildState::stopped));
}

BOOST_AUTO_TEST_CASE(a_child_ignoring_cancellation_is_abandoned_after_its_stop_deadline) {
  Harness h;
  auto sup = h.supervisor("sys", Strategy::one_for_one);
  sup->add_child(h.child("a"));
  ChildSpec stubborn;
  stubborn.name = "stubborn";
  stubborn.stop_deadline = 100ms;
  auto log = h.log;
  stubborn.run = [log](ChildContext context) { return stubborn_child(log, std::move(context)); };
  sup->add_child(stubborn);
  h.run(sup->start());
  const auto t0 = std::chrono::steady_clock::now();
  h.run(sup->stop());
  const auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((took >= 90ms));
  BOOST_TEST((took < 1000ms));
  BOOST_TEST(h.saw("sys", "stubborn", "stop_deadline_exceeded"));
  BOOST_TEST(h.log->back() == "stop a");  // and stop() moved on to the next child
}

BOOST_AUTO_TEST_CASE(dynamic_children_start_and_terminate) {
  Harness h;
  auto sup = h.supervisor("tenants", Strategy::one_for_one);
  h.run(sup->start());
  h.run(sup->start_child(h.child("svc")));
  BOOST_TEST(sup->children().size() == 1u);
  BOOST_TEST(run_until_complete(h.io, sup->terminate_child("svc"), 5s));
  BOOST_TEST(!run_until_complete(h.io, sup->terminate_child("svc"), 5s));
  BOOST_TEST(*h.log == (Log{"start svc", "stop svc"}), boost::test_tools::per_element());
  BOOST_TEST(sup->children().empty());
}

BOOST_AUTO_TEST_SUITE_END()
