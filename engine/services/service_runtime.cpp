#include "engine/services/service_runtime.hpp"

namespace solo {

namespace {

class LuaRuntime final : public ServiceRuntime {
 public:
  // Messages of a service are sliced: the actor continues a preempted step.
  explicit LuaRuntime(std::unique_ptr<LuaSandbox> sandbox) : sandbox_(std::move(sandbox)) {
    sandbox_->set_preemptible(true);
  }
  StepResult init(boost::json::value config) override { return sandbox_->start_init(std::move(config)); }
  StepResult call(boost::json::value msg) override { return sandbox_->start_call(std::move(msg)); }
  StepResult cast(boost::json::value msg) override { return sandbox_->start_cast(std::move(msg)); }
  StepResult info(boost::json::value msg) override { return sandbox_->start_info(std::move(msg)); }
  StepResult code_change(boost::json::value old_state, int64_t old_version) override {
    return sandbox_->start_code_change(std::move(old_state), old_version);
  }
  StepResult terminate(std::string reason) override { return sandbox_->start_terminate(std::move(reason)); }
  StepResult resume(boost::json::value reply, bool is_error) override {
    return sandbox_->resume(std::move(reply), is_error);
  }
  StepResult continue_step() override { return sandbox_->continue_step(); }
  LuaJsonResult export_state() override { return sandbox_->export_state(); }
  std::optional<std::string> import_state(const boost::json::value& state) override {
    return sandbox_->import_state(state);
  }
  size_t memory_bytes() const override { return sandbox_->memory_bytes(); }
  uint64_t reductions() const override { return sandbox_->reductions(); }
  std::chrono::nanoseconds cpu_time() const override { return sandbox_->cpu_time(); }

 private:
  std::unique_ptr<LuaSandbox> sandbox_;
};

// Runs a native handler; an exception is the service's error (a crash).
template <class F>
StepResult guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& error) {
    return StepResult::failed(error.what());
  }
}

class NativeRuntime final : public ServiceRuntime {
 public:
  NativeRuntime(std::unique_ptr<NativeService> service, NativeContext* context)
      : service_(std::move(service)), context_(context) {}
  StepResult init(boost::json::value config) override {
    return guarded([&] {
      service_->init(config, *context_);
      return StepResult::done();
    });
  }
  StepResult call(boost::json::value msg) override {
    return guarded([&] { return StepResult::done(service_->handle_call(msg, *context_)); });
  }
  StepResult cast(boost::json::value msg) override {
    return guarded([&] {
      service_->handle_cast(msg, *context_);
      return StepResult::done();
    });
  }
  StepResult info(boost::json::value msg) override {
    return guarded([&] {
      service_->handle_info(msg, *context_);
      return StepResult::done();
    });
  }
  StepResult code_change(boost::json::value old_state, int64_t old_version) override {
    return guarded([&] {
      service_->import_state(old_state, old_version);
      return StepResult::done();
    });
  }
  StepResult terminate(std::string reason) override {
    return guarded([&] {
      service_->terminate(reason, *context_);
      return StepResult::done();
    });
  }
  StepResult resume(boost::json::value, bool) override {
    return StepResult::failed("native services do not wait in solo.call");
  }
  StepResult continue_step() override { return StepResult::failed("native services are not preempted"); }
  LuaJsonResult export_state() override {
    LuaJsonResult result;
    try {
      result.value = service_->export_state();
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    return result;
  }
  std::optional<std::string> import_state(const boost::json::value& state) override {
    try {
      service_->import_state(state, 0);
      return std::nullopt;
    } catch (const std::exception& error) {
      return std::string(error.what());
    }
  }
  size_t memory_bytes() const override { return 0; }
  uint64_t reductions() const override { return 0; }
  std::chrono::nanoseconds cpu_time() const override { return std::chrono::nanoseconds{0}; }

 private:
  std::unique_ptr<NativeService> service_;
  NativeContext* context_;
};

}  // namespace

std::unique_ptr<ServiceRuntime> make_service_runtime(const ServiceSpec& spec, ServiceHost* host,
                                                     const NativeServiceTypes& native_types,
                                                     std::unique_ptr<LuaSandbox> compiled) {
  if (spec.format == "native") {
    const auto* factory = native_types.find(spec.code);
    if (!factory) throw SpecError("no native service type named '" + spec.code + "' is registered");
    return std::make_unique<NativeRuntime>((*factory)(), host);
  }
  // A LuaError (kind invalid) goes to the caller as it is.
  if (compiled) {
    compiled->run_top_level(host);
    return std::make_unique<LuaRuntime>(std::move(compiled));
  }
  LuaFacts facts{spec.tenant_id, spec.service_id, spec.version};
  return std::make_unique<LuaRuntime>(LuaSandbox::create(spec.code, spec.limits, facts, host));
}

void check_service_code(const ServiceSpec& spec, const NativeServiceTypes& native_types) {
  // Code is text, stored as text: PostgreSQL's text cannot hold a NUL byte,
  // and no Lua chunk needs one (a string can spell it "\0").
  if (spec.code.find('\0') != std::string::npos) throw SpecError("'code' holds a NUL byte");
  if (spec.format == "native") {
    if (!native_types.find(spec.code)) throw SpecError("no native service type named '" + spec.code + "' is registered");
    return;
  }
  if (auto error = LuaSandbox::check_compiles(spec.tenant_id, spec.code, spec.limits)) throw LuaCompileError(*error);
}

}  // namespace solo
