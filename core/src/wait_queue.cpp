#include <tide/core/detail/wait_queue.hpp>

#include <string>

namespace tide::detail {

void WaitQueue::describe(const WaitNode& node, WaitInfo& info) const {
  if (hooks_.describe != nullptr)
    hooks_.describe(hooks_.owner, info);
  else if (hooks_.what != nullptr)
    info.what = describe_object(hooks_.what, hooks_.owner);
  else
    info.what = "wait queue " + describe_address(this);
  std::size_t ahead = 0;
  for (const WaitNode* n = waiters_.front(); n != nullptr && n != &node;
       n = IntrusiveList<WaitNode, &WaitNode::hook>::next(*n))
    ++ahead;
  if (ahead > 0)
    info.what += " (" + std::to_string(ahead) + (ahead == 1 ? " waiter" : " waiters") + " ahead)";
}

}  // namespace tide::detail
