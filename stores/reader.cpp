#include "stores/reader.hpp"

namespace solo {

Reader::Reader(boost::asio::any_io_executor executor, StoreLocation location)
    : executor_(std::move(executor)), location_(std::move(location)), thread_([this] { thread_main(); }) {}

Reader::~Reader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Reader::enqueue(UniqueTask task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void Reader::thread_main() {
  for (;;) {
    UniqueTask task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
  db_.reset();
}

Database& Reader::database() {
  if (!db_ || db_->broken()) {  // a PostgreSQL server that restarted: connect again
    OpenOptions options;
    options.read_only = true;
    db_ = open_database(location_, options);
  }
  return *db_;
}

}  // namespace solo
