// Seed: 003 (IO多路复用 ... python的进程), "Pipes管道": the child sends "Hello World" on its end of
// a Pipe and closes it; the parent prints what it receives. multiprocessing.Pipe() is
// tide::Channel::pair() (duplex; one_way() is Pipe(duplex=False)); messages are values of
// any type tide's codec knows, and recv<T> names the type.
#include <cstdio>
#include <string>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>

// The seed's send(): a POSIX function's name in C++.
void sender(tide::Channel& conn) {
  tide::await(conn.send(std::string("Hello World")));
  conn.close();
}

tide::Task<int> amain() {
  // [guide:pipe-send]
  auto [parent_conn, child_conn] = tide::Channel::pair();
  auto p = tide::Process::start(sender, child_conn);
  std::printf("%s\n", (co_await parent_conn.recv<std::string>()).c_str());
  // [guide-end]
  co_return co_await p.wait();
}

int main() {
  return tide::run(amain());
}

// Output:
// Hello World
