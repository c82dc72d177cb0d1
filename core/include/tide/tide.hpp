#pragma once

// Everything tide offers, for users who prefer one include.
#include <tide/core/await.hpp>
#include <tide/core/backend.hpp>
#include <tide/core/errors.hpp>
#include <tide/core/fiber.hpp>
#include <tide/core/fiber_pool.hpp>
#include <tide/core/fiber_timeout.hpp>
#include <tide/core/greenlet.hpp>
#include <tide/core/loop.hpp>
#include <tide/core/run.hpp>
#include <tide/core/sleep.hpp>
#include <tide/core/spawn.hpp>
#include <tide/core/task.hpp>
#include <tide/core/task_group.hpp>
#include <tide/core/thread_pool.hpp>
#include <tide/core/timeout.hpp>
#include <tide/core/timer.hpp>
#include <tide/core/when_all.hpp>
#include <tide/core/when_any.hpp>
#include <tide/io/acceptor.hpp>
#include <tide/io/buffer_pool.hpp>
#include <tide/io/fd.hpp>
#include <tide/io/ops.hpp>
#include <tide/io/pipe.hpp>
#include <tide/io/receiver.hpp>
#include <tide/sync/event.hpp>
