// Kubernetes manifests as `corral expect import` reads them
// (compose/kubernetes_manifests.h) and the expectations it derives from
// their Gunicorn containers. The input is up to three manifest files
// separated by NUL bytes, read together (a ConfigMap in one, the Deployment
// that uses it in another).
#include <set>
#include <string>
#include <vector>

#include "compose/kubernetes_manifests.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::compose;
  const std::vector<std::string> parts = corral::fuzz::SplitParts(corral::fuzz::AsText(data, size), '\0', 3);
  std::vector<ManifestFile> files;
  for (size_t i = 0; i < parts.size(); ++i) files.push_back({"deploy-" + std::to_string(i) + ".yaml", parts[i]});
  (void)LooksLikeKubernetesManifests(parts[0]);
  absl::StatusOr<KubernetesManifests> manifests = LoadKubernetesManifests(files);
  if (!manifests.ok()) return 0;
  std::set<std::string> services;
  for (const KubernetesContainer& c : manifests->containers) {
    CORRAL_FUZZ_CHECK(!c.declared.name.empty());
    CORRAL_FUZZ_CHECK(!c.declared.command.empty());
    services.insert(c.declared.name);
  }
  std::vector<ImportedExpectations> imported = ExpectationsFromKubernetes(*manifests);
  CORRAL_FUZZ_CHECK(imported.size() == services.size());
  for (const ImportedExpectations& service : imported) {
    CORRAL_FUZZ_CHECK(services.count(service.expectations.service()) == 1);
  }
  return 0;
}
