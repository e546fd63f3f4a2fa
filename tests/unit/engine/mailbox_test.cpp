// Tests for engine/actor/mailbox.hpp and reply.hpp.
#include "engine/actor/mailbox.hpp"
#include "engine/actor/reply.hpp"
#include "base/run_until.hpp"
#include "base/timeout.hpp"
#include "support/engine_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using solo::Mailbox;
using solo::run_until_complete;

namespace {

asio::awaitable<void> push_later(std::shared_ptr<Mailbox<int>> box, int value) {
  co_await solo::test::sleep_for(10ms);
  box->try_push(value);
}

asio::awaitable<std::optional<int>> pop_one(std::shared_ptr<Mailbox<int>> box) { co_return co_await box->pop(); }

asio::awaitable<void> drop_sender_later(solo::ReplySender<int> sender) {
  co_await solo::test::sleep_for(5ms);
  // `sender` is destroyed here without a reply.
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mailbox)

BOOST_AUTO_TEST_CASE(try_push_refuses_when_full_and_nothing_is_queued) {
  asio::io_context io;
  Mailbox<int> box(io.get_executor(), 2);
  BOOST_TEST(box.try_push(1));
  BOOST_TEST(box.try_push(2));
  BOOST_TEST(!box.try_push(3));
  BOOST_TEST(box.size() == 2u);
  BOOST_TEST(box.capacity() == 2u);
  BOOST_TEST(*box.try_pop() == 1);
  BOOST_TEST(*box.try_pop() == 2);
  BOOST_TEST(!box.try_pop().has_value());
}

BOOST_AUTO_TEST_CASE(pop_waits_for_a_push) {
  asio::io_context io;
  auto box = std::make_shared<Mailbox<int>>(io.get_executor(), 4);
  asio::co_spawn(io, push_later(box, 9), asio::detached);
  auto got = run_until_complete(io, pop_one(box), 2s);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(*got == 9);
}

BOOST_AUTO_TEST_CASE(close_refuses_pushes_and_pop_drains_then_returns_nullopt) {
  asio::io_context io;
  auto box = std::make_shared<Mailbox<int>>(io.get_executor(), 4);
  box->try_push(1);
  box->close();
  BOOST_TEST(box->closed());
  BOOST_TEST(!box->try_push(2));
  BOOST_TEST(*run_until_complete(io, pop_one(box), 2s) == 1);
  BOOST_TEST(!run_until_complete(io, pop_one(box), 2s).has_value());
}

BOOST_AUTO_TEST_CASE(cancelling_a_pending_pop_loses_nothing) {
  asio::io_context io;
  auto box = std::make_shared<Mailbox<int>>(io.get_executor(), 4);
  auto timed_out = run_until_complete(io, solo::with_timeout(pop_one(box), 10ms), 2s);
  BOOST_TEST(!timed_out.has_value());
  BOOST_TEST(box->try_push(5));
  BOOST_TEST(box->size() == 1u);
  BOOST_TEST(*run_until_complete(io, pop_one(box), 2s) == 5);
}

BOOST_AUTO_TEST_CASE(a_reply_sender_dropped_unset_delivers_actor_stopped) {
  asio::io_context io;
  auto [slot, sender] = solo::ReplySlot<int>::create(io.get_executor());
  asio::co_spawn(io, drop_sender_later(std::move(sender)), asio::detached);
  BOOST_CHECK_THROW(run_until_complete(io, slot->wait(), 2s), solo::ActorStopped);
}

BOOST_AUTO_TEST_CASE(a_reply_is_delivered_once) {
  asio::io_context io;
  auto [slot, sender] = solo::ReplySlot<int>::create(io.get_executor());
  sender.set_value(3);
  BOOST_CHECK_THROW(sender.set_value(4), std::logic_error);
  BOOST_TEST(run_until_complete(io, slot->wait(), 2s) == 3);
}

BOOST_AUTO_TEST_SUITE_END()
