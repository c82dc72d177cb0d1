// BufferedStream: lines, delimiters with limits, buffered writes; from tasks and fibres.
#include <span>
#include <string>
#include <string_view>

#include "dual.hpp"
#include "peers.hpp"

using namespace tide::testing;
using tide::net::BufferedStream;

namespace {
// Writes without ever sending a newline, until cancelled or the peer goes.
tide::Task<void> write_forever_without_newline(tide::net::StreamSocket& out) {
  const std::string block(4096, 'x');
  try {
    for (;;)
      co_await out.write_all(block);
  } catch (const std::system_error&) {
  }
}
}  // namespace

#define DUAL_SCENARIOS "buffered_stream_scenarios.inc"
#include "dual_scenarios.inc"

DUAL_TEST(BufferedStream, ReadsLinesAndTheLastOneWithoutNewline)
DUAL_TEST(BufferedStream, ReadUntilAMultiByteDelimiter)
DUAL_TEST(BufferedStream, ALineLongerThanMaxIsAnErrorNotUnboundedMemory)
DUAL_TEST(BufferedStream, TheEndBeforeTheDelimiterKeepsWhatCame)
DUAL_TEST(BufferedStream, WritesWaitInTheBufferUntilFlush)
DUAL_TEST(BufferedStream, ReadSomeTakesBufferedBytesFirst)
