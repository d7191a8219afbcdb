// The operator's page: route a message, show why, store the operator's decision.
// Everything is built with textContent (never innerHTML): message text is untrusted.
"use strict";

const REASONS = {
  no_words: "в сообщении нет слов — читать нечего",
  not_russian: "текст не на русском языке — модель его не классифицирует",
  outside_region: "проблема в другом регионе — исполнителя этого региона нет",
  truncated: "сообщение очень длинное — прочитано только начало",
  no_prediction: "модель не дала ответа",
  low_confidence: "низкая уверенность модели — решение должен принять человек",
};
const TARGETS = { agency: "исполнитель", group: "группа", topic: "тема" };
const KINDS = {
  region: "регион", district: "район", city: "город", city_okrug: "округ города", settlement: "населённый пункт",
  street: "улица", house: "дом", PER: "персона", ORG: "организация", LOC: "место",
};

let info = null;      // GET /info
let current = null;   // {text, time, routing}

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function percent(p) {
  return (100 * p).toFixed(p >= 0.995 || p < 0.01 ? 1 : 0) + " %";
}

function groupName(code) {
  return info && info.group_names && info.group_names[code] ? info.group_names[code] + " (" + code + ")" : code;
}

function nameOf(target, label) {
  return target === "group" ? groupName(label) : label;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const message = data && data.message ? data.message : "ошибка " + response.status;
    throw new Error(message);
  }
  return data;
}

async function loadInfo() {
  try {
    info = await api("/info");
    const region = info.region ? info.region.official || info.region.title : "регион не задан";
    let line = "Модель " + info.model + " · " + region;
    const promise = info.promise || {};
    if (typeof promise.accuracy === "number") {
      line += " · точность решений без пометки «на проверку»: " + percent(promise.accuracy);
    }
    $("model-info").textContent = line;
    const select = $("agency-choice");
    select.replaceChildren(el("option", "— выберите исполнителя —"));
    select.firstChild.value = "";
    for (const agency of (info.labels && info.labels.agency) || []) {
      const option = el("option", agency);
      option.value = agency;
      select.appendChild(option);
    }
  } catch (e) {
    $("model-info").textContent = "Модель ещё загружается: " + e.message;
    setTimeout(loadInfo, 1000);
  }
}

// Spans [start, end) are code-point offsets into the original text (Python str indices).
function spansOf(routing) {
  const spans = [];
  for (const loc of routing.locations || []) {
    spans.push({ start: loc.start, end: loc.end, cls: "loc", title: KINDS[loc.kind] || loc.kind, text: loc.text });
  }
  for (const ent of routing.entities || []) {
    if (ent.type === "LOC") continue;  // places are marked from the gazetteer above
    spans.push({ start: ent.start, end: ent.end, cls: "ent", title: KINDS[ent.type] || ent.type, text: ent.text });
  }
  const out = routing.outside;
  if (out && Number.isInteger(out.start) && Number.isInteger(out.end) && out.end > out.start) {
    spans.push({ start: out.start, end: out.end, cls: "out", title: "другой регион: " + out.region, text: out.evidence });
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept = [];
  let reached = 0;
  for (const s of spans) {
    if (s.start >= reached && s.end > s.start) { kept.push(s); reached = s.end; }
  }
  return kept;
}

function renderMarked(text, routing) {
  const chars = Array.from(text);  // code points, as the offsets count them
  const box = $("marked");
  box.replaceChildren();
  let at = 0;
  for (const s of spansOf(routing)) {
    if (s.end > chars.length) continue;
    if (s.start > at) box.appendChild(document.createTextNode(chars.slice(at, s.start).join("")));
    const mark = el("mark", chars.slice(s.start, s.end).join(""), s.cls);
    mark.title = s.title;
    box.appendChild(mark);
    at = s.end;
  }
  if (at < chars.length) box.appendChild(document.createTextNode(chars.slice(at).join("")));
}

function renderRow(target, prediction) {
  const row = $("row-" + target);
  const [label, conf, alts] = row.querySelectorAll("td");
  if (!prediction) {
    label.textContent = "—";
    conf.textContent = "";
    alts.textContent = "";
    return;
  }
  label.textContent = nameOf(target, prediction.label);
  conf.textContent = percent(prediction.confidence);
  alts.replaceChildren();
  for (const [alt, p] of prediction.alternatives || []) {
    alts.appendChild(el("div", nameOf(target, alt) + " — " + percent(p)));
  }
}

function renderEvidence(routing) {
  const list = $("evidence");
  list.replaceChildren();
  for (const target of ["agency", "group", "topic"]) {
    const words = (routing.evidence && routing.evidence[target]) || [];
    const texts = (routing.evidence_text && routing.evidence_text[target]) || [];
    // Russian readings (curnlp.evidence) when the server sends them, else the words and municipalities;
    // a labelling period's bias says nothing about the message itself
    const shown = words.map(([f, w], i) => [f, w, texts[i]])
                       .filter(([f, w, t]) => w > 0 && (t ? !/^(t\d+:)?bias$/.test(f)
                                                          : f.startsWith("w:") || f.startsWith("m:")))
                       .map(([f, , t]) => t || f.slice(2));
    if (shown.length) list.appendChild(el("li", TARGETS[target] + ": " + shown.join(", ")));
  }
  if (!list.children.length) list.appendChild(el("li", "нет слов, на которые опиралась модель", "muted"));
}

function render(text, routing) {
  $("result").hidden = false;
  const review = $("review");
  review.hidden = false;
  if (routing.review_reasons && routing.review_reasons.length) {
    review.className = "review";
    review.replaceChildren(el("strong", "Нужна проверка: "));
    review.appendChild(document.createTextNode(routing.review_reasons.map((r) => REASONS[r] || r).join("; ")));
  } else {
    review.className = "review ok";
    review.textContent = "Проверка не требуется: модель уверена в исполнителе.";
  }
  for (const target of ["agency", "group", "topic"]) renderRow(target, routing[target]);
  const place = [];
  if (routing.region) place.push("регион: " + routing.region);
  if (routing.municipality) place.push("муниципалитет: " + routing.municipality);
  $("place").textContent = place.join(" · ");
  renderMarked(text, routing);
  renderEvidence(routing);
  $("confirm").disabled = !routing.agency;
  $("feedback-status").textContent = "";
  document.body.dataset.state = "routed";
}

async function routeText(text, time) {
  $("status").textContent = "Определяю…";
  $("status").className = "muted";
  $("route-button").disabled = true;
  try {
    const body = { text: text };
    if (time) body.time = time;
    const routing = await api("/route", body);
    current = { text: text, time: time || null, routing: routing };
    render(text, routing);
    $("status").textContent = "";
    const params = new URLSearchParams({ text: text });
    if (time) params.set("time", time);
    const link = "/?" + params.toString();
    $("share").href = link;
    $("share").hidden = false;
    history.replaceState(null, "", link);
  } catch (e) {
    $("status").textContent = "Не удалось: " + e.message;
    $("status").className = "error";
    document.body.dataset.state = "error";
  } finally {
    $("route-button").disabled = false;
  }
}

async function sendFeedback(agency) {
  if (!current || !agency) return;
  const labels = { agency: agency };
  const r = current.routing;
  if ($("with-topic").checked) {
    if (r.topic) labels.topic = r.topic.label;
    if (r.group) labels.group = r.group.label;
  }
  const body = { text: current.text, model: r.model, labels: labels };
  if (current.time) body.time = current.time;
  try {
    await api("/feedback", body);
    $("feedback-status").textContent = "Сохранено: " + agency;
    $("feedback-status").className = "muted";
    document.body.dataset.feedback = "stored";
  } catch (e) {
    $("feedback-status").textContent = "Не сохранено: " + e.message;
    $("feedback-status").className = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadInfo();
  $("route-form").addEventListener("submit", (event) => {
    event.preventDefault();
    routeText($("text").value, $("time").value.trim());
  });
  $("confirm").addEventListener("click", () => sendFeedback(current && current.routing.agency && current.routing.agency.label));
  $("send-choice").addEventListener("click", () => sendFeedback($("agency-choice").value));
  const params = new URLSearchParams(location.search);
  if (params.has("text")) {
    $("text").value = params.get("text");
    $("time").value = params.get("time") || "";
    routeText(params.get("text"), (params.get("time") || "").trim());
  }
});
