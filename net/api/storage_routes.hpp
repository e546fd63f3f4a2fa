// A service's durable data (solo.storage) for operators, over HTTP
// (docs/http-api.md, "Storage"):
//   GET    /services/{id}/storage?prefix=&limit=&cursor=   a page of entries (storage:read)
//   GET    /services/{id}/storage/{key}                    one entry (storage:read)
//   PUT    /services/{id}/storage/{key}                    {"value": JSON} (storage:write)
//   DELETE /services/{id}/storage/{key}                    (storage:write)
//   POST   /services/{id}/storage:import                  {"entries": [...]}, all or nothing (storage:write)
// A key is the rest of the path (it may hold '/'). The id names a service of
// the caller's tenant that is deployed or still holds data (after a DELETE
// without ?purge=true); any other is 404. The StorageDirectory
// (engine/storage/storage_directory.hpp) owns the data and the write path.
#pragma once

#include <memory>

namespace solo::net {

class Router;
struct ApiContext;

void add_storage_routes(Router& router, std::shared_ptr<ApiContext> context);

}  // namespace solo::net
