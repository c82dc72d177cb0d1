#pragma once

namespace tide::detail {

// One per thread; its address tells threads apart in one instruction.
[[gnu::tls_model("initial-exec")]] inline thread_local constinit char t_thread_marker = 0;

/// For objects that belong to one loop (the sync primitives): binds to the thread that first
/// uses the object, and throws UsageError naming the object when another thread uses it
/// afterwards. The check is an inline compare of two addresses, so it stays in every build.
class ThreadBound {
 public:
  /// `type` names the object's class ("tide::Mutex"), `object` is its address.
  void check(const char* type, const void* object) const {
    if (thread_ != &t_thread_marker) [[unlikely]]
      bind_or_fail(type, object);
  }

 private:
  void bind_or_fail(const char* type, const void* object) const;  // core/src/thread_bound.cpp

  mutable const char* thread_ = nullptr;  // the owning thread's marker; null until first use
};

}  // namespace tide::detail
