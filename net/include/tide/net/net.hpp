#pragma once

// The whole net layer, for users who prefer one include.
#include <tide/net/buffered_stream.hpp>
#include <tide/net/errors.hpp>
#include <tide/net/resolve.hpp>
#include <tide/net/serve.hpp>
#include <tide/net/socket_address.hpp>
#include <tide/net/stream_socket.hpp>
#include <tide/net/tcp_listener.hpp>
#include <tide/net/tcp_stream.hpp>
#include <tide/net/udp_socket.hpp>
#include <tide/net/unix_datagram.hpp>
#include <tide/net/unix_listener.hpp>
#include <tide/net/unix_stream.hpp>
