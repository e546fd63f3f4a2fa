// A move-only, type-erased `void()` callable. Asio completion handlers are
// move-only, so queues that carry them across threads cannot use std::function.
#pragma once

#include <memory>
#include <utility>

namespace solo {

class UniqueTask {
 public:
  UniqueTask() = default;
  template <class F>
  explicit UniqueTask(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}

  void operator()() { (*impl_)(); }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void operator()() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F f) : f(std::move(f)) {}
    void operator()() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace solo
