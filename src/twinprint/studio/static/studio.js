// twinprint studio: live page images over Server-Sent Events; no build step, no framework.
"use strict";

const events = new EventSource("/events");
const handlers = [];
events.onmessage = (message) => {
  const event = JSON.parse(message.data);
  handlers.forEach((handle) => handle(event));
};
window.studioEvents = [];  // every event received, for tests and the curious
handlers.push((event) => window.studioEvents.push(event));

function quote(name) { return name.split("/").map(encodeURIComponent).join("/"); }

// --- home: the job cards ---------------------------------------------------------------------
const cards = document.getElementById("cards");
if (cards) {
  const refresh = async () => { cards.innerHTML = await (await fetch("/cards")).text(); };
  handlers.push((event) => { if (event.type === "jobs") refresh(); });
  cards.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-build]");
    if (!button) return;
    click.preventDefault();
    button.disabled = true;
    await fetch("/build/" + quote(button.dataset.build), { method: "POST" });
  });
}

// --- document view: pages, findings, errors --------------------------------------------------
const banner = document.getElementById("banner");
const columns = Array.from(document.querySelectorAll("section.doc"));

function showError(job, message, shown) {
  const pages = shown ? " (the pages show it, marked)" : " (the last good pages stay shown)";
  banner.textContent = (columns.length > 1 ? job + ": " : "") + message + pages;
  banner.dataset.job = job;
  banner.hidden = false;
}

function clearError(job) {
  if (banner.dataset.job === job) { banner.hidden = true; banner.textContent = ""; delete banner.dataset.job; }
}

function pageElement(column, n) {
  let page = column.querySelector(`.page[data-n="${n}"]`);
  if (!page) {
    page = document.createElement("figure");
    page.className = "page";
    page.dataset.n = n;
    const image = document.createElement("img");
    image.alt = `page ${n}`;
    page.append(image);
    const caption = document.createElement("figcaption");
    caption.textContent = n;
    page.append(caption);
  }
  return page;
}

function layOut(column, pages, spreads) {
  const holder = column.querySelector(".pages");
  const kept = pages.map((p) => pageElement(column, p.n));
  holder.replaceChildren();
  holder.classList.toggle("spreads", spreads);
  // Spreads: page 1 alone on the right, then facing pairs (2-3, 4-5, ...), the last page alone.
  let row = null;
  kept.forEach((page, index) => {
    if (!spreads || index === 0 || index % 2 === 1 || !row) {
      row = document.createElement("div");
      row.className = "spread";
      holder.append(row);
    }
    row.append(page);
    if (spreads && index === 0) row = null;
  });
}

function showPages(column, event) {
  const job = column.dataset.job;
  const shown = column.querySelectorAll(".page").length;
  if (shown !== event.pages.length) layOut(column, event.pages, event.spreads);
  const changed = new Set(event.changed || event.pages.map((p) => p.n));
  event.pages.forEach((p) => {
    const image = pageElement(column, p.n).querySelector("img");
    const source = `/page/${p.n}/${quote(job)}?v=${p.v}`;
    if (changed.has(p.n) || !image.getAttribute("src")) {
      image.width = p.w; image.height = p.h;
      image.setAttribute("src", source);
      image.dataset.version = p.v;
    }
  });
  column.querySelector(".timing").textContent = `rendered in ${event.seconds.toFixed(2)} s`;
}

function showFindings(column, findings) {
  const list = column.querySelector(".findings");
  column.querySelectorAll(".mark").forEach((mark) => mark.remove());
  if (!findings) { list.textContent = "preflight: running…"; return; }
  list.replaceChildren();
  const summary = document.createElement("p");
  summary.className = findings.passed ? "passed" : "failed";
  summary.textContent = findings.summary;
  list.append(summary);
  findings.findings.forEach((finding) => {
    const item = document.createElement("p");
    item.className = "finding " + finding.severity;
    item.textContent = `${finding.severity} · ${finding.check} · page ${finding.pages}: ${finding.message}`;
    list.append(item);
  });
  findings.marks.forEach((mark) => {
    const page = column.querySelector(`.page[data-n="${mark.page}"]`);
    if (!page) return;
    const box = document.createElement("div");
    box.className = "mark " + mark.severity;
    box.dataset.check = mark.check;
    box.title = `${mark.check}: ${mark.message}`;
    Object.assign(box.style, { left: `${mark.left * 100}%`, top: `${mark.top * 100}%`,
                               width: `${mark.width * 100}%`, height: `${mark.height * 100}%` });
    page.append(box);
  });
}

async function openColumn(column) {
  const width = column.querySelector(".pages").clientWidth || 800;
  const px = Math.round(width * (window.devicePixelRatio || 1));
  const state = await (await fetch(`/state/${quote(column.dataset.job)}?px=${px}`)).json();
  if (state.pages.length) showPages(column, { pages: state.pages, spreads: state.spreads, seconds: state.seconds });
  if (state.error) showError(column.dataset.job, state.error, state.overflowing);
  if (state.pages.length) showFindings(column, state.findings);
}

// Leaving the page: the studio stops rebuilding what no page shows (until it is shown again).
window.addEventListener("pagehide", () => {
  columns.forEach((column) => navigator.sendBeacon("/close/" + quote(column.dataset.job)));
});

columns.forEach((column) => {
  openColumn(column);
  handlers.push((event) => {
    if (event.job !== column.dataset.job) return;
    if (event.type === "pages") { clearError(event.job); showPages(column, event); }
    else if (event.type === "error") showError(event.job, event.message, event.shown);
    else if (event.type === "findings") showFindings(column, event);
  });
});

const approve = document.getElementById("approve");
if (approve) {
  approve.addEventListener("click", async () => {
    const answer = await (await fetch("/approve/" + quote(approve.dataset.job), { method: "POST" })).json();
    approve.textContent = answer.ok ? "approved ✓" : answer.error;
  });
}
