#include "gunicorn/control_protocol.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace corral::gunicorn {
namespace {

constexpr size_t kMaxPids = 4096;

// A JSON scalar as snapshots show setting values; nullopt for what has no
// such form (objects, nested lists, non-finite numbers).
std::optional<std::string> Shown(const Json& v) {
  switch (v.type) {
    case Json::Type::kNull:
      return "";
    case Json::Type::kBool:
      return v.boolean ? "true" : "false";
    case Json::Type::kString:
      return v.text;
    case Json::Type::kNumber:
      if (v.integer) return absl::StrCat(*v.integer);
      if (!std::isfinite(v.number)) return std::nullopt;
      return absl::StrCat(v.number);
    case Json::Type::kArray: {
      std::vector<std::string> items;
      for (const Json& item : v.items) {
        if (item.type == Json::Type::kArray || item.type == Json::Type::kObject) return std::nullopt;
        std::optional<std::string> shown = Shown(item);
        if (!shown) return std::nullopt;
        items.push_back(*std::move(shown));
      }
      return absl::StrJoin(items, ",");
    }
    case Json::Type::kObject:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int> Pid(const Json* v) {
  if (v == nullptr || v->type != Json::Type::kNumber || !v->integer) return std::nullopt;
  if (*v->integer <= 0 || *v->integer > (1 << 22)) return std::nullopt;
  return static_cast<int>(*v->integer);
}

void ReadPids(const Json* list, absl::string_view what, std::vector<int>& out, std::vector<std::string>* problems) {
  if (list == nullptr || list->is_null()) return;
  if (list->type != Json::Type::kArray) {
    if (problems) problems->push_back(absl::StrCat(what, " is not a list"));
    return;
  }
  for (const Json& item : list->items) {
    if (out.size() >= kMaxPids) break;
    std::optional<int> pid = item.type == Json::Type::kObject ? Pid(item.Find("pid")) : std::nullopt;
    if (!pid) {
      if (problems) problems->push_back(absl::StrCat(what, " lists an entry without a pid"));
      continue;
    }
    out.push_back(*pid);
  }
}

}  // namespace

absl::StatusOr<std::string> EncodeControlRequest(int id, absl::string_view command) {
  if (!absl::StartsWith(command, "show ")) {
    return absl::InvalidArgumentError(absl::StrCat("'", command, "' is not a show command; Corral only reads"));
  }
  for (char c : command) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c)) && c != ' ') {
      return absl::InvalidArgumentError(absl::StrCat("'", command, "' holds more than words"));
    }
  }
  std::string payload = absl::StrCat("{\"id\": ", id, ", \"command\": \"", command, "\", \"args\": []}");
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.push_back(static_cast<char>((n >> 24) & 0xff));
  frame.push_back(static_cast<char>((n >> 16) & 0xff));
  frame.push_back(static_cast<char>((n >> 8) & 0xff));
  frame.push_back(static_cast<char>(n & 0xff));
  return frame + payload;
}

absl::StatusOr<uint32_t> DecodeControlFrameLength(absl::string_view header, uint32_t cap) {
  if (header.size() != 4) return absl::InvalidArgumentError("a frame header is 4 bytes");
  uint32_t n = 0;
  for (char c : header) n = (n << 8) | static_cast<uint8_t>(c);
  if (n > cap) return absl::OutOfRangeError(absl::StrCat("a reply of ", n, " bytes is over the ", cap, "-byte cap"));
  return n;
}

absl::StatusOr<Json> ParseControlReply(absl::string_view payload, int id) {
  absl::StatusOr<Json> doc = ParseJson(payload);
  if (!doc.ok()) return absl::InvalidArgumentError(absl::StrCat("the reply is ", doc.status().message()));
  if (doc->type != Json::Type::kObject) return absl::InvalidArgumentError("the reply is not a JSON object");
  const Json* reply_id = doc->Find("id");
  if (reply_id == nullptr || !reply_id->integer || *reply_id->integer != id) {
    return absl::InvalidArgumentError(absl::StrCat("the reply does not answer request ", id));
  }
  const Json* status = doc->Find("status");
  if (status == nullptr || status->type != Json::Type::kString) {
    return absl::InvalidArgumentError("the reply has no status");
  }
  if (status->text != "ok") {
    const Json* error = doc->Find("error");
    std::string why = error != nullptr && error->type == Json::Type::kString ? error->text : status->text;
    if (why.size() > 200) why = absl::StrCat(why.substr(0, 200), "...");
    return absl::FailedPreconditionError(absl::StrCat("Gunicorn answered: ", why));
  }
  const Json* data = doc->Find("data");
  if (data == nullptr || data->type != Json::Type::kObject) {
    return absl::InvalidArgumentError("the reply has no data object");
  }
  return *data;
}

std::string WorkerClassName(absl::string_view reported) {
  absl::string_view path = reported;
  // str() of a class: "<class 'gunicorn.workers.sync.SyncWorker'>".
  if (absl::ConsumePrefix(&path, "<class '")) absl::ConsumeSuffix(&path, "'>");
  static constexpr std::pair<const char*, const char*> kShipped[] = {
      {"gunicorn.workers.sync.SyncWorker", "sync"},
      {"gunicorn.workers.gthread.ThreadWorker", "gthread"},
      {"gunicorn.workers.ggevent.GeventWorker", "gevent"},
      {"gunicorn.workers.ggevent.GeventPyWSGIWorker", "gevent_pywsgi"},
      {"gunicorn.workers.geventlet.EventletWorker", "eventlet"},
      {"gunicorn.workers.gtornado.TornadoWorker", "tornado"},
      {"gunicorn.workers.gasgi.ASGIWorker", "asgi"},
  };
  for (const auto& [class_path, name] : kShipped) {
    if (path == class_path) return name;
  }
  return std::string(path);
}

ControlAnswers ReadControlAnswers(const Json* config, const Json* all, const Json* stats,
                                  std::vector<std::string>* problems) {
  ControlAnswers answers;
  if (config != nullptr && config->type == Json::Type::kObject) {
    for (size_t i = 0; i < config->keys.size(); ++i) {
      const std::string& name = config->keys[i];
      if (name == "proc_name") continue;
      if (name.empty() || name.size() > 64) continue;
      std::optional<std::string> shown = Shown(config->values[i]);
      if (!shown) {
        if (problems) problems->push_back(absl::StrCat("show config: ", name, " has a value Corral cannot show"));
        continue;
      }
      if (name == "worker_class") shown = WorkerClassName(*shown);
      answers.settings[name] = *std::move(shown);
    }
  }
  if (all != nullptr && all->type == Json::Type::kObject) {
    ReadPids(all->Find("web_workers"), "show all: web_workers", answers.web_worker_pids, problems);
    ReadPids(all->Find("dirty_workers"), "show all: dirty_workers", answers.dirty_worker_pids, problems);
    if (const Json* arbiter = all->Find("dirty_arbiter"); arbiter != nullptr && arbiter->type == Json::Type::kObject) {
      answers.dirty_arbiter_pid = Pid(arbiter->Find("pid"));
    }
  }
  if (stats != nullptr && stats->type == Json::Type::kObject) {
    const Json* target = stats->Find("workers_target");
    if (target != nullptr && target->integer && *target->integer >= 0) answers.workers_target = *target->integer;
  }
  return answers;
}

}  // namespace corral::gunicorn
