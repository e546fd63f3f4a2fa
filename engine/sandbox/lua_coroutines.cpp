// Coroutines under the meter; see lua_coroutines.hpp.
#include "engine/sandbox/lua_coroutines.hpp"

#include "engine/sandbox/lua_meter.hpp"

namespace solo {

namespace {

enum class Form : lua_KContext { resume, wrap };
// Continuation contexts: the form, and whether the yield came before the
// resume (the arguments are still on the resumer's stack) or from inside.
constexpr lua_KContext kBeforeResume = 2;

// Whether `co` died of a limit error, raised from the hook (hooks off).
bool died_of_limit(lua_State* L, lua_State* co) {
  const int status = lua_status(co);
  if (status == LUA_OK || status == LUA_YIELD || lua_gettop(co) == 0) return false;
  if (!lua_checkstack(L, 2) || !lua_checkstack(co, 1)) return true;  // cannot tell: do not close
  lua_pushvalue(co, -1);
  lua_xmove(co, L, 1);
  const bool limit = LuaMeter::is_limit_error(L, -1);
  lua_pop(L, 1);
  return limit;
}

lua_State* coroutine_of(lua_State* L, Form form) {
  return form == Form::resume ? lua_tothread(L, 1) : lua_tothread(L, lua_upvalueindex(1));
}

// What resume returns: true and the values, or false and the error.
int deliver_resume(lua_State* L, lua_State* co, int status, int nres) {
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushboolean(L, 0);
      lua_pushliteral(L, "too many results to resume");
      return 2;
    }
    lua_pushboolean(L, 1);
    lua_xmove(co, L, nres);
    return nres + 1;
  }
  LuaMeter::of(L).check(L);  // a spent limit ends the resumer too
  lua_pushboolean(L, 0);
  lua_xmove(co, L, 1);
  return 2;
}

// What a wrapped coroutine returns: its values, or it raises its error
// (lcorolib's auxwrap, but a coroutine killed by a limit is not closed).
int deliver_wrap(lua_State* L, lua_State* co, int status, int nres) {
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      return luaL_error(L, "too many results to resume");
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  LuaMeter::of(L).check(L);
  const bool closable = !died_of_limit(L, co);
  lua_xmove(co, L, 1);  // the error
  if (closable && lua_status(co) != LUA_OK && lua_status(co) != LUA_YIELD) {
    lua_resetthread(co);  // close its to-be-closed variables, hooks are on
  }
  if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

int continue_resume(lua_State* L, int status, lua_KContext ctx);

// Resumes `co` with the `narg` values on top of L, passing a preemption up.
int resume_coroutine(lua_State* L, lua_State* co, int narg, Form form) {
  auto& meter = LuaMeter::of(L);
  if (!lua_checkstack(co, narg)) return luaL_error(L, "too many arguments to resume");
  // The clock at every resume (a new coroutine counts its own instructions).
  if (meter.check_at_resume(L) && lua_isyieldable(L)) {
    meter.mark_preempted();
    return lua_yieldk(L, 0, static_cast<lua_KContext>(form) | kBeforeResume, continue_resume);
  }
  for (;;) {
    lua_xmove(L, co, narg);
    meter.switch_to(co);
    int nres = 0;
    const int status = lua_resume(co, L, narg, &nres);
    meter.switch_to(L);
    if (status == LUA_YIELD && meter.preempted()) {
      // co's count hook yielded (no values) because the slice is over.
      if (lua_isyieldable(L)) {
        return lua_yieldk(L, 0, static_cast<lua_KContext>(form), continue_resume);
      }
      meter.clear_preempted();  // cannot pass it on: co runs on, the deadlines hold
      narg = 0;
      continue;
    }
    return form == Form::resume ? deliver_resume(L, co, status, nres) : deliver_wrap(L, co, status, nres);
  }
}

// The engine continued the step: resume the coroutine where its hook yielded.
int continue_resume(lua_State* L, int /*status*/, lua_KContext ctx) {
  const auto form = static_cast<Form>(ctx & ~kBeforeResume);
  // Before the resume the arguments still wait on the stack (above the
  // coroutine itself, for resume); after, the coroutine has them.
  const int narg = (ctx & kBeforeResume) ? lua_gettop(L) - (form == Form::resume ? 1 : 0) : 0;
  return resume_coroutine(L, coroutine_of(L, form), narg, form);
}

int sandbox_resume(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  luaL_argexpected(L, co != nullptr, 1, "coroutine");
  return resume_coroutine(L, co, lua_gettop(L) - 1, Form::resume);
}

int wrapped_coroutine(lua_State* L) {
  return resume_coroutine(L, coroutine_of(L, Form::wrap), lua_gettop(L), Form::wrap);
}

int sandbox_wrap(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State* co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, wrapped_coroutine, 1);
  return 1;
}

int sandbox_close(lua_State* L) {
  LuaMeter::of(L).check(L);
  lua_State* co = lua_tothread(L, 1);
  if (co != nullptr && died_of_limit(L, co)) {
    lua_pushboolean(L, 0);  // as close reports a coroutine that died of an error
    lua_pushvalue(co, -1);
    lua_xmove(co, L, 1);
    return 2;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

}  // namespace

void open_sandbox_coroutines(lua_State* L, int coroutine_index) {
  coroutine_index = lua_absindex(L, coroutine_index);
  lua_pushcfunction(L, sandbox_resume);
  lua_setfield(L, coroutine_index, "resume");
  lua_pushcfunction(L, sandbox_wrap);
  lua_setfield(L, coroutine_index, "wrap");
  lua_getfield(L, coroutine_index, "close");
  lua_pushcclosure(L, sandbox_close, 1);
  lua_setfield(L, coroutine_index, "close");
}

}  // namespace solo
