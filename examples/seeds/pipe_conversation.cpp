// Seed: 004 (多进程、线程、协程...), "使用pipe进程间数据的交互": Pipe() gives two connected ends;
// the child sends two lists on pipe2 and receives a dict, the parent receives the lists on
// pipe1 and sends the dict. tide::Channel::pair() is the Pipe. The seed prints id() of each
// end to show that the child's end is a copy; here the fd numbers are printed, the same in
// both processes (fork copies the fd table). A Python list [11, None, "..."] is a tuple with
// an optional; the dict a struct that tells tide's codec (cereal) its fields.
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>

#include <tide/core/await.hpp>
#include <tide/core/run.hpp>
#include <tide/io/channel.hpp>
#include <tide/io/process.hpp>

using List = std::tuple<int, std::optional<int>, std::string>;

struct Note {  // {"num": 20, "data": None, "msg": "hello from pipe1"}
  int num = 0;
  std::optional<int> data;
  std::string msg;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(num, data, msg);
  }
};

std::string repr(const List& l) {
  return "[" + std::to_string(std::get<0>(l)) + ", None, '" + std::get<2>(l) + "']";
}

// [guide:pipe-conversation]
void f(tide::Channel& conn) {
  std::printf("子进程中pipe fd = %d\n", conn.fd());
  std::printf("子进程使用pipe2发送数据\n");
  tide::await(conn.send(List{11, std::nullopt, "hello from pipe2"}));
  tide::await(conn.send(List{22, std::nullopt, "hello from pipe2"}));
  const Note note = tide::await(conn.recv<Note>());
  std::printf("子进程接收父进程pipe1发送的数据: {'num': %d, 'data': None, 'msg': '%s'}\n", note.num,
              note.msg.c_str());
  std::printf("子进程关闭pipe2\n");
  conn.close();
}

tide::Task<int> amain() {
  std::printf("创建pipe,返回两个对象分别代表pipe的两端\n");
  auto [pipe1, pipe2] = tide::Channel::pair();
  std::printf("pipe1 fd = %d, pipe2 fd = %d\n", pipe1.fd(), pipe2.fd());
  std::printf("创建子进程,并在子进程使用pipe2发送接收数据\n");
  auto p = tide::Process::start(f, pipe2);
  std::printf("父进程接收子进程发送的数据:  %s\n", repr(co_await pipe1.recv<List>()).c_str());
  std::printf("父进程接收子进程发送的数据:  %s\n", repr(co_await pipe1.recv<List>()).c_str());
  const Note note{20, std::nullopt, "hello from pipe1"};
  co_await pipe1.send(note);
  std::printf("父进程中pipe fd = %d\n", pipe1.fd());
  std::printf("父进程关闭pipe1\n");
  pipe1.close();
  co_return co_await p.wait();
}
// [guide-end]

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, as on a terminal
  return tide::run(amain());
}

// Output:
// 创建pipe,返回两个对象分别代表pipe的两端
// pipe1 fd = <int>, pipe2 fd = <int>
// 创建子进程,并在子进程使用pipe2发送接收数据
// 子进程中pipe fd = <int>
// 子进程使用pipe2发送数据
// 父进程接收子进程发送的数据:  [11, None, 'hello from pipe2']
// 父进程接收子进程发送的数据:  [22, None, 'hello from pipe2']
// ~ 父进程中pipe fd = <int>
// ~ 父进程关闭pipe1
// ~ 子进程接收父进程pipe1发送的数据: {'num': 20, 'data': None, 'msg': 'hello from pipe1'}
// ~ 子进程关闭pipe2
