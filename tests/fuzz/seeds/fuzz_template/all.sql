SET search_path = {{.Schema}};
-- {{ .connection }} {{.BACKEND}} {{.Version}} {{  .Environment  }}
SELECT '{{"{{"}} not a variable }}', '{a}', '{ {x} }', '}}';
SELECT 'für {{.Schema}} → 日本語';
