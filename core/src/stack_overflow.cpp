// Reporting a fibre stack overflow: the guard page below every guarded stack turns it into a
// SIGSEGV; this handler, on an alternate signal stack (the fibre's own stack is exhausted),
// recognises a fault there and says what happened before aborting.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>

#include <tide/core/detail/fiber_stack.hpp>

namespace tide::detail {

namespace {

// Frames larger than the guard page may jump past it: a fault this far below still counts.
constexpr std::size_t overflow_reach = 64 * 1024;

struct sigaction previous_handler;

// Async-signal-safe formatting: append text or a decimal number.
struct Line {
  char text[160];
  std::size_t length = 0;
  void add(const char* s) {
    while (*s && length < sizeof text)
      text[length++] = *s++;
  }
  void add(std::uint64_t n) {
    char digits[24];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n != 0);
    while (count > 0 && length < sizeof text)
      text[length++] = digits[--count];
  }
};

void on_segv(int signal, siginfo_t* info, void* context) {
  const StackState* running = t_running_stack;
  const FiberStack* stack = running ? running->stack : nullptr;
  const char* base = stack && stack->guard != 0 ? static_cast<const char*>(stack->base) : nullptr;
  const char* address = static_cast<const char*>(info->si_addr);
  if (base != nullptr && address < base && address + overflow_reach >= base) {
    Line line;
    line.add("tide: fibre stack overflow in fibre ");
    line.add(running->id);
    line.add(" (stack size ");
    line.add(static_cast<std::uint64_t>(stack->size));
    line.add(" bytes); give it a larger stack\n");
    [[maybe_unused]] auto r = ::write(STDERR_FILENO, line.text, line.length);
    std::abort();
  }
  // Not a fibre overflow: whoever handled SIGSEGV before handles it.
  if ((previous_handler.sa_flags & SA_SIGINFO) && previous_handler.sa_sigaction) {
    previous_handler.sa_sigaction(signal, info, context);
  } else if (previous_handler.sa_handler != SIG_DFL && previous_handler.sa_handler != SIG_IGN) {
    previous_handler.sa_handler(signal);
  } else {
    ::signal(signal, SIG_DFL);  // returning re-runs the faulting access: default action
  }
}

// An alternate signal stack for this thread, removed when the thread ends.
struct AltStack {
  AltStack() {
    size = 64 * 1024;
    memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      memory = nullptr;
      return;
    }
    stack_t s{};
    s.ss_sp = memory;
    s.ss_size = size;
    if (::sigaltstack(&s, nullptr) != 0) {
      ::munmap(memory, size);
      memory = nullptr;
    }
  }
  ~AltStack() {
    if (memory == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    ::sigaltstack(&off, nullptr);
    ::munmap(memory, size);
  }
  void* memory = nullptr;
  std::size_t size = 0;
};

}  // namespace

[[gnu::tls_model("initial-exec")]] constinit thread_local const StackState* t_running_stack =
    nullptr;

void prepare_overflow_report() noexcept {
  [[gnu::tls_model("initial-exec")]] thread_local bool prepared = false;
  if (prepared) return;
  prepared = true;
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = &on_segv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGSEGV, &action, &previous_handler);
  });
  thread_local AltStack alt_stack;
}

}  // namespace tide::detail
