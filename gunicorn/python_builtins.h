// The part of Python's builtins and standard library the config-file
// evaluator knows: int(), str(), float(), bool(), len(), abs(), min(),
// max(); str.split/strip/lower/upper/format; os.environ (subscript, .get,
// `in`), os.getenv, os.path; os.cpu_count() and multiprocessing.cpu_count().
// Everything else -- other modules, other methods, functions the file
// defines -- is an Unknown value saying it is not evaluated. Results follow
// Python's, errors included ("ValueError: invalid literal for int() ...").
//
// Internal to the config-file evaluator (python_config.h); declared here so
// the expression evaluator and the tests can reach them.
#ifndef CORRAL_GUNICORN_PYTHON_BUILTINS_H_
#define CORRAL_GUNICORN_PYTHON_BUILTINS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gunicorn/python_expression.h"
#include "gunicorn/python_value.h"

namespace corral::gunicorn::python_internal {

// The builtin function a bare `name` means (PyValue::Builtin("int"), ...),
// or nullopt when the evaluator knows no builtin of that name.
std::optional<PyValue> BuiltinFunction(const std::string& name);

// What `module.name` is, for the modules the evaluator knows (`os`,
// `multiprocessing`), whether reached as an attribute or by
// `from module import name`; nullopt otherwise.
std::optional<PyValue> ModuleAttribute(const std::string& module, const std::string& name);

// `object.name`: module attributes, os.environ.get, and the str methods
// above, bound to `object`.
PyValue GetAttribute(const PyValue& object, const std::string& name);

// os.environ[key] when `raise_if_missing` (a missing key is a KeyError),
// else os.environ.get(key, fallback) (a missing key gives `fallback`, or
// None).
PyValue EnvironGet(const ExpressionScope& scope, const PyValue& key, const std::optional<PyValue>& fallback,
                   bool raise_if_missing);

// `key in os.environ`; nullopt when the environment is unknown or `key` is
// not a str, and then *why is the scope's EnvironUnknownReason().
std::optional<bool> EnvironContains(const ExpressionScope& scope, const PyValue& key, std::string* why);

// callee(*args, **kwargs) with arguments already evaluated. Only
// PyValue::Builtin callees are evaluated; an Unknown callee or argument
// makes the result Unknown, except a positional default of
// os.environ.get/os.getenv, which matters only when the key is missing.
PyValue Call(ExpressionScope& scope, const PyValue& callee, const std::vector<PyValue>& args,
             const std::vector<std::pair<std::string, PyValue>>& kwargs);

}  // namespace corral::gunicorn::python_internal

#endif  // CORRAL_GUNICORN_PYTHON_BUILTINS_H_
