#include "engine/services/service_directory.hpp"

#include "engine/services/service_actor.hpp"

namespace solo {

void ServiceDirectory::add(std::shared_ptr<ServiceActor> actor) {
  const auto& spec = actor->spec();
  actors_[spec.tenant_id][spec.service_id] = std::move(actor);
}

void ServiceDirectory::remove(const std::string& tenant_id, const std::string& service_id) {
  auto tenant = actors_.find(tenant_id);
  if (tenant == actors_.end()) return;
  tenant->second.erase(service_id);
  if (tenant->second.empty()) actors_.erase(tenant);
}

std::shared_ptr<ServiceActor> ServiceDirectory::find(const std::string& tenant_id,
                                                     const std::string& service_id) const {
  auto tenant = actors_.find(tenant_id);
  if (tenant == actors_.end()) return nullptr;
  auto it = tenant->second.find(service_id);
  return it == tenant->second.end() ? nullptr : it->second;
}

ServicePage ServiceDirectory::list(const std::string& tenant_id, const std::string& status, size_t limit,
                                   size_t offset) const {
  ServicePage page;
  auto tenant = actors_.find(tenant_id);
  if (tenant == actors_.end()) return page;
  for (const auto& [id, actor] : tenant->second) {
    if (!status.empty() && status != to_string(actor->state())) continue;
    if (page.total++ < offset) continue;
    if (page.services.size() < limit) page.services.push_back(actor->status_json());
  }
  return page;
}

size_t ServiceDirectory::count() const {
  size_t n = 0;
  for (const auto& [tenant, services] : actors_) n += services.size();
  return n;
}

std::vector<std::shared_ptr<ServiceActor>> ServiceDirectory::deployed(const std::string& tenant_id) const {
  std::vector<std::shared_ptr<ServiceActor>> out;
  auto tenant = actors_.find(tenant_id);
  if (tenant == actors_.end()) return out;
  auto in_progress = deploying_.find(tenant_id);
  for (const auto& [id, actor] : tenant->second) {
    if (in_progress == deploying_.end() || !in_progress->second.count(id)) out.push_back(actor);
  }
  return out;
}

std::vector<std::shared_ptr<ServiceActor>> ServiceDirectory::all() const {
  std::vector<std::shared_ptr<ServiceActor>> out;
  for (const auto& [tenant, services] : actors_) {
    for (const auto& [id, actor] : services) out.push_back(actor);
  }
  return out;
}

uint64_t ServiceDirectory::lua_heap_bytes() const {
  uint64_t bytes = 0;
  for (const auto& [tenant, services] : actors_) {
    for (const auto& [id, actor] : services) bytes += actor->memory_bytes();
  }
  return bytes;
}

size_t ServiceDirectory::queued_messages() const {
  size_t queued = 0;
  for (const auto& [tenant, services] : actors_) {
    for (const auto& [id, actor] : services) queued += actor->queue_length();
  }
  return queued;
}

void ServiceDirectory::begin_deploy(const std::string& tenant_id, const std::string& service_id) {
  deploying_[tenant_id].insert(service_id);
}

void ServiceDirectory::end_deploy(const std::string& tenant_id, const std::string& service_id) {
  auto tenant = deploying_.find(tenant_id);
  if (tenant == deploying_.end()) return;
  tenant->second.erase(service_id);
  if (tenant->second.empty()) deploying_.erase(tenant);
}

}  // namespace solo
