// Coroutines under the meter: the sandbox's coroutine.resume, wrap and close.
//
// Preemption passes through. A count hook that ends a slice yields the Lua
// thread that is running, which may be a coroutine the handler resumed. The
// library's resume would hand that yield to the service's code as if the
// coroutine had yielded nothing; these wrappers recognise it (the meter says
// preempted()) and yield their own thread in turn, up to the handler's thread
// and the actor, which continues the step later: the continuation resumes the
// inner coroutine where its hook left it. Where the resuming thread cannot
// yield (a coroutine resumed inside a sort comparator, say) the wrapper
// resumes the coroutine again at once: no slice there, the deadlines hold.
// Each switch tells the meter which thread runs, for the SliceWatchdog.
//
// Limit errors are not swallowed or run with hooks off. When the count hook
// raises a limit error (time, instructions), Lua runs some Lua code while
// hooks are still disabled for that thread: because a thread killed from a
// hook keeps hooks disabled, the __close metamethods that coroutine.close and
// coroutine.wrap run on a dead coroutine could loop forever. So a coroutine
// that died of a limit error is never closed (the collector frees it without
// __close), whatever the budget of the current message, and resume re-raises
// a spent limit in the resuming thread at once.
#pragma once

#include <lua.hpp>

namespace solo {

// Replaces resume, wrap and close in the coroutine table at `coroutine_index`.
void open_sandbox_coroutines(lua_State* L, int coroutine_index);

}  // namespace solo
