// Values of the small, side-effect-free subset of Python the agent evaluates
// in Gunicorn config files. Anything outside the subset is an Unknown value
// that carries the reason, so nothing is ever guessed.
#ifndef CORRAL_GUNICORN_PYTHON_VALUE_H_
#define CORRAL_GUNICORN_PYTHON_VALUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace corral::gunicorn {

struct PyValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kBytes,
    kList,
    kTuple,
    kDict,
    kModule,    // text = module name ("os", "multiprocessing", ...)
    kBuiltin,   // text = function id ("int", "os.getenv", "str.split"); items[0] = bound self
    kFunction,  // a `def` or `class` in the config file; text = its name
    kEnviron,   // os.environ
    kUnknown,   // text = why it cannot be evaluated
  };

  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0;
  std::string text;
  std::vector<PyValue> items;                        // list, tuple, bound self
  std::vector<std::pair<PyValue, PyValue>> entries;  // dict, in insertion order

  static PyValue None() { return PyValue(); }
  static PyValue Bool(bool b);
  static PyValue Int(int64_t i);
  static PyValue Float(double d);
  static PyValue Str(std::string s);
  static PyValue Bytes(std::string s);
  static PyValue List(std::vector<PyValue> items);
  static PyValue Tuple(std::vector<PyValue> items);
  static PyValue Dict(std::vector<std::pair<PyValue, PyValue>> entries);
  static PyValue Module(std::string name);
  static PyValue Builtin(std::string id, std::optional<PyValue> self = std::nullopt);
  static PyValue Function(std::string name);
  static PyValue Environ();
  static PyValue Unknown(std::string reason);

  bool is_unknown() const { return kind == Kind::kUnknown; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kFloat || kind == Kind::kBool; }
  bool is_sequence() const { return kind == Kind::kList || kind == Kind::kTuple; }

  // Python truthiness; nullopt for values whose truth is not known.
  std::optional<bool> Truthy() const;
  // Python's repr() and str(), for the kinds that have a literal form.
  std::string Repr() const;
  std::string ToStr() const;
  // Python's name of the type, for messages ("int", "str", "list").
  std::string TypeName() const;
};

// Python's == for the kinds the subset knows; nullopt when undecidable.
std::optional<bool> PyEquals(const PyValue& a, const PyValue& b);

}  // namespace corral::gunicorn

#endif  // CORRAL_GUNICORN_PYTHON_VALUE_H_
