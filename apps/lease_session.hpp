// LeaseSession: a cluster node's thread and database connections for its
// lease traffic (apps/cluster_node.cpp): heartbeats, renewals, acquisitions,
// releases and the view of the cluster. Owned by the ClusterNode; its tasks
// run on its own thread, one at a time, in order, and their results come
// back on the engine's executor.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/async_call.hpp"
#include "stores/cluster_store.hpp"
#include "stores/database.hpp"

namespace solo {

namespace asio = boost::asio;

// A task's way to the connection of a store (by its URI), opened on first use.
using Connect = std::function<Database&(const std::string& store)>;

// The lease's own connections (one per store the node heartbeats or holds a
// lease in: the base store, and each shard's) and thread: a renewal never
// waits behind a Writer's commits (a busy store must not cost the node its
// leases) and never blocks the engine thread. Tasks run one at a time, in order.
class LeaseSession {
 public:
  LeaseSession(asio::any_io_executor engine, std::chrono::milliseconds ttl) : engine_(std::move(engine)), ttl_(ttl) {
    thread_ = std::thread([this] {
      context_.run();
      connections_.clear();
    });
  }
  ~LeaseSession() {
    work_.reset();
    thread_.join();
  }
  LeaseSession(const LeaseSession&) = delete;
  LeaseSession& operator=(const LeaseSession&) = delete;

  template <class R>
  asio::awaitable<R> run(std::function<R(const Connect&)> fn) {
    return async_call<R>(
        engine_, [this](UniqueTask task) { asio::post(context_, [task = std::move(task)]() mutable { task(); }); },
        [this, fn = std::move(fn)]() -> R {
          Connect connect = [this](const std::string& store) -> Database& { return database(store); };
          return fn(connect);
        });
  }

 private:
  Database& database(const std::string& store) {
    auto& db = connections_[store];
    if (!db || db->broken()) {  // a server that restarted: connect again
      db.reset();
      auto fresh = open_database(StoreLocation::parse(store), OpenOptions{});
      // A statement that hangs (a server gone silent, a lock held by a
      // paused node) must not outlast the lease it is about.
      cluster_store::prepare_session(*fresh, std::max(ttl_ / 2, std::chrono::milliseconds(100)));
      db = std::move(fresh);
    }
    return *db;
  }

  asio::any_io_executor engine_;
  std::chrono::milliseconds ttl_;
  asio::io_context context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{context_.get_executor()};
  std::map<std::string, std::unique_ptr<Database>> connections_;  // lease thread only
  std::thread thread_;
};

}  // namespace solo
