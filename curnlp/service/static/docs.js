// A readable view of /openapi.json with no external assets (the service may run offline).
"use strict";

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function resolve(spec, schema) {
  while (schema && schema.$ref) schema = spec.components.schemas[schema.$ref.split("/").pop()];
  return schema || {};
}

function typeOf(spec, schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(spec, s)).join(" | ");
  if (schema.type === "array") return "[" + typeOf(spec, schema.items) + "]";
  return schema.type || "";
}

function fields(spec, schema, depth) {
  const list = el("ul");
  const s = resolve(spec, schema);
  const required = new Set(s.required || []);
  for (const [name, prop] of Object.entries(s.properties || {})) {
    const item = el("li");
    item.appendChild(el("code", name));
    item.appendChild(document.createTextNode(" — " + typeOf(spec, prop) + (required.has(name) ? ", обязательно" : "")
      + (prop.description ? ": " + prop.description : "")));
    const inner = resolve(spec, prop.$ref ? prop : null);
    if (depth < 2 && inner.properties) item.appendChild(fields(spec, prop, depth + 1));
    list.appendChild(item);
  }
  return list;
}

async function main() {
  const box = document.getElementById("endpoints");
  const spec = await (await fetch("/openapi.json")).json();
  box.replaceChildren();
  box.appendChild(el("p", spec.info.title + " " + spec.info.version + ". " + (spec.info.description || ""), "muted"));
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const section = el("section");
      section.appendChild(el("h2", method.toUpperCase() + " " + path));
      if (op.summary) section.appendChild(el("p", op.summary));
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) {
        section.appendChild(el("p", "Тело запроса (JSON):", "muted"));
        section.appendChild(fields(spec, body.schema, 0));
      }
      box.appendChild(section);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  main().catch((e) => { document.getElementById("endpoints").textContent = "Схема не загрузилась: " + e.message; });
});
