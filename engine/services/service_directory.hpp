// ServiceDirectory: which actor runs each deployed service (tenant -> service
// id -> ServiceActor). Not to be confused with engine/discovery/service_registry,
// the names services register for discovery.
//
// Owned by the System supervisor's `service_directory` child (apps/kernel.cpp),
// which creates it before the Deployer. The Deployer is its only writer: it
// adds an actor when a deploy or a recovery starts one and removes it when the
// service is killed or fails to start. Everyone else reads: the REST handlers
// (net/api), the Verifier, the metrics, the ResourceMonitor's Lua heap figure,
// and solo.call between services.
//
// A deploy in progress is marked (begin_deploy/end_deploy, or a DeployMark):
// its actor is listed already, but deployed() leaves it out, since the deploy
// holds a quota reservation until it ends (tenancy/tenant_quotas.hpp).
//
// Engine thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace solo {

class ServiceActor;

struct ServicePage {
  std::vector<boost::json::object> services;
  size_t total = 0;
};

class ServiceDirectory {
 public:
  // The actor is keyed by its spec's tenant and service id; replaces any
  // actor under that key.
  void add(std::shared_ptr<ServiceActor> actor);
  void remove(const std::string& tenant_id, const std::string& service_id);

  std::shared_ptr<ServiceActor> find(const std::string& tenant_id, const std::string& service_id) const;
  // Sorted by service id; status filter "" = all.
  ServicePage list(const std::string& tenant_id, const std::string& status, size_t limit, size_t offset) const;
  size_t count() const;
  // The tenant's services, without those whose deploy is still in progress.
  std::vector<std::shared_ptr<ServiceActor>> deployed(const std::string& tenant_id) const;
  // Every actor (the Verifier, metrics).
  std::vector<std::shared_ptr<ServiceActor>> all() const;
  // The Lua heaps of every service (the ResourceMonitor).
  uint64_t lua_heap_bytes() const;
  // Messages waiting in every service's mailbox (metrics).
  size_t queued_messages() const;

  void begin_deploy(const std::string& tenant_id, const std::string& service_id);
  void end_deploy(const std::string& tenant_id, const std::string& service_id);

 private:
  std::map<std::string, std::map<std::string, std::shared_ptr<ServiceActor>>> actors_;  // tenant -> id -> actor
  std::map<std::string, std::set<std::string>> deploying_;  // tenant -> ids with a deploy in progress
};

// Marks a deploy in progress for as long as it lives.
class DeployMark {
 public:
  DeployMark(ServiceDirectory& directory, std::string tenant_id, std::string service_id)
      : directory_(directory), tenant_id_(std::move(tenant_id)), service_id_(std::move(service_id)) {
    directory_.begin_deploy(tenant_id_, service_id_);
  }
  ~DeployMark() { directory_.end_deploy(tenant_id_, service_id_); }
  DeployMark(const DeployMark&) = delete;
  DeployMark& operator=(const DeployMark&) = delete;

 private:
  ServiceDirectory& directory_;
  std::string tenant_id_;
  std::string service_id_;
};

}  // namespace solo
