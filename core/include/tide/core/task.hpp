#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <tide/core/detail/promise.hpp>
#include <tide/core/errors.hpp>

namespace tide {

template <class T = void>
class Task;

namespace detail {

template <class T>
class TaskPromise : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;

  template <class U = T>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) { value_.emplace(std::forward<U>(value)); }

  T take_result() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <class T>
class TaskPromise<T&> : public PromiseBase {
 public:
  Task<T&> get_return_object() noexcept;
  void return_value(T& value) noexcept { value_ = std::addressof(value); }
  T& take_result() {
    if (exception) std::rethrow_exception(exception);
    return *value_;
  }

 private:
  T* value_ = nullptr;
};

template <>
class TaskPromise<void> : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_result() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

/// A lazily started coroutine that produces a `T` (or a reference, or nothing).
///
/// Nothing runs until the task is awaited (`co_await task`) or spawned (`tide::spawn`); then it
/// runs in the awaiting task's job, and an exception it throws comes out of the `co_await`.
/// A task can be awaited once: awaiting it again, or awaiting a moved-from task, throws
/// `UsageError`. Destroying a task that never ran destroys its frame.
///
/// Control passes between a task and the task it awaits through the loop's run phase (see
/// `LoopCore::resume_next`), so arbitrarily long chains of awaits never grow the stack.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  Task() noexcept = default;
  Task(Task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (frame_) frame_.destroy();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (frame_) frame_.destroy();
  }

  /// True if this task holds a coroutine (it was not moved from).
  [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(frame_); }
  /// True once the coroutine has returned or thrown.
  [[nodiscard]] bool done() const noexcept { return frame_ && frame_.done(); }

  class Awaiter {
   public:
    explicit Awaiter(std::coroutine_handle<promise_type> child) noexcept : child_(child) {}
    bool await_ready() const noexcept { return false; }
    template <detail::TidePromise P>
    void await_suspend(std::coroutine_handle<P> parent) noexcept {
      promise_type& p = child_.promise();
      p.continuation = parent;
      p.job = parent.promise().job;
      parent_ = &parent.promise();
      parent_->inner = &p;
      parent_->inner_frame = child_.address();
      detail::LoopCore::resume_next(child_);
    }
    T await_resume() {
      if (parent_ != nullptr) parent_->inner = nullptr;
      return child_.promise().take_result();
    }

   private:
    std::coroutine_handle<promise_type> child_;
    detail::PromiseBase* parent_ = nullptr;
  };

  Awaiter operator co_await() & { return Awaiter(start("co_await")); }
  Awaiter operator co_await() && { return Awaiter(start("co_await")); }

  /// Hands the frame to a new owner (spawn); the task becomes empty.
  std::coroutine_handle<promise_type> release(const char* what) {
    auto frame = start(what);
    frame_ = {};
    return frame;
  }

 private:
  friend class detail::TaskPromise<T>;
  explicit Task(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}

  std::coroutine_handle<promise_type> start(const char* what) {
    if (!frame_)
      throw UsageError(std::string("tide::Task: ") + what +
                       " of an empty task (moved from, or default-constructed)");
    if (frame_.promise().started)
      throw UsageError(std::string("tide::Task: ") + what +
                       " of a task that was already awaited or spawned (a task runs once)");
    frame_.promise().started = true;
    return frame_;
  }

  std::coroutine_handle<promise_type> frame_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise>::from_promise(*this));
}
template <class T>
Task<T&> TaskPromise<T&>::get_return_object() noexcept {
  return Task<T&>(std::coroutine_handle<TaskPromise>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise>::from_promise(*this));
}
}  // namespace detail

}  // namespace tide
