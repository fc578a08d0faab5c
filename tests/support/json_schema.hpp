#pragma once
// A JSON Schema validator for the subset docs/openapi.json uses (OpenAPI 3.0 flavour): type,
// nullable, properties, required, additionalProperties (boolean or schema), items, enum, oneOf,
// minimum, maximum and local $refs ("#/components/..."). Any other keyword except annotations
// (description, format, default, title, example) is reported as an error, so the document
// cannot lean on something this validator does not check.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

namespace bfm::test {

class schema_validator {
public:
    // `document`: where $refs point into; must outlive the validator.
    explicit schema_validator(const boost::json::object& document) : document_(document) {}

    // Every violation, each as "<JSON path>: <what is wrong>"; empty when `instance` is valid.
    std::vector<std::string> validate(const boost::json::value& instance,
                                      const boost::json::value& schema) const;

    // The value a local "$ref" ("#/a/b") names; throws std::invalid_argument when absent.
    const boost::json::value& resolve(const std::string& ref) const;

private:
    void check(const boost::json::value& instance, const boost::json::value& schema,
               const std::string& path, std::vector<std::string>& errors, int depth) const;

    const boost::json::object& document_;
};

}  // namespace bfm::test
