/* consolidate: the little the pages need a script for. No library, no build step; text from the server is
   either HTML it escaped itself (fragments) or set with textContent. */
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const MB = 1024 * 1024;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function mb(n) {
    return (n / MB).toLocaleString("vi-VN", { maximumFractionDigits: 1 }) + " MB";
  }

  /* ---- reload when files arrive (Tình hình, Một đơn vị) */
  function watch() {
    const body = document.body;
    const sig = body.dataset.signature;
    const every = parseInt(body.dataset.poll || "0", 10);
    if (!sig || !every) return;
    let busy = false;
    setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const resp = await fetch("/trang-thai.json", { cache: "no-store" });
        if (resp.ok) {
          const state = await resp.json();
          if (state.signature && state.signature !== sig) {
            const note = document.getElementById("refresh-note");
            if (note) note.textContent = "Có tệp mới, đang kiểm tra lại…";
            window.location.reload();
          }
        }
      } catch (e) { /* the server was stopped: keep the page as it is */ }
      busy = false;
    }, every * 1000);
  }

  /* ---- Nhận tệp */
  function readEntries(reader) {
    return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  }

  async function walk(entry, out) {
    if (entry.isFile) {
      await new Promise((resolve) => entry.file((f) => { out.push(f); resolve(); }, resolve));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await readEntries(reader);
        if (!batch.length) break;
        for (const child of batch) await walk(child, out);
      }
    }
  }

  async function droppedFiles(dt) {
    const items = dt.items ? Array.from(dt.items) : [];
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    if (entries.length && entries.every((e) => e)) {
      const out = [];
      for (const e of entries) await walk(e, out);
      return out;
    }
    return Array.from(dt.files || []);
  }

  function refusal(results, name, text) {
    const box = el("div", "received refused");
    box.dataset.name = name;
    const what = el("div", "what");
    what.appendChild(el("span", "file", name));
    what.appendChild(document.createTextNode(" "));
    what.appendChild(el("span", "badge rejected", "không lưu"));
    box.appendChild(what);
    box.appendChild(el("div", "note", text));
    results.appendChild(box);
  }

  function setupUpload() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const zone = document.getElementById("drop-zone");
    const results = document.getElementById("upload-results");
    const progress = document.getElementById("upload-progress");
    const maxFile = parseInt(form.dataset.maxFile, 10);
    const maxArchive = parseInt(form.dataset.maxArchive, 10);
    const maxFiles = parseInt(form.dataset.maxFiles, 10);

    async function send(files) {
      if (!files.length) return;
      // each hand-over is one batch, newest on top; earlier ones stay visible below it
      const batch = el("section", "batch");
      const when = new Date().toLocaleTimeString("vi-VN");
      batch.appendChild(el("h2", "batch-title", "Lần nhận lúc " + when + ": " + files.length + " tệp"));
      results.prepend(batch);
      if (files.length > maxFiles) {
        refusal(batch, files.length + " tệp",
          "Quá nhiều tệp trong một lần (" + files.length + ", giới hạn " + maxFiles + "); không tệp nào được lưu. Hãy chia thành nhiều lần.");
        return;
      }
      progress.hidden = false;
      const bar = progress.querySelector(".bar");
      const label = progress.querySelector(".label");
      bar.style.width = "0%";
      let done = 0;
      for (const file of files) {
        label.textContent = "Đang gửi và kiểm tra " + (done + 1) + "/" + files.length + ": " + file.name;
        const isZip = /\.zip$/i.test(file.name);
        const limit = isZip ? maxArchive : maxFile;
        if (file.size > limit) {
          // never sent: the server would refuse it too, after the whole file had crossed the wire
          refusal(batch, file.name, file.name + ": tệp quá lớn (" + mb(file.size) + ", giới hạn " + mb(limit) +
            (isZip ? " cho một tệp nén" : " cho một biểu báo cáo") + "); không gửi lên, không lưu.");
        } else {
          const data = new FormData();
          data.append("csrf", csrf());
          data.append("tep", file, file.name);
          // the time the file had on the clerk's disk orders two copies of a unit that carry no save time
          data.append("mtime", String(file.lastModified || ""));
          try {
            const resp = await fetch(form.action || window.location.pathname, {
              method: "POST", body: data,
              headers: { "X-Requested-With": "consolidate", "X-CSRF-Token": csrf() },
            });
            const type = resp.headers.get("Content-Type") || "";
            if (type.indexOf("application/json") >= 0) {
              const err = await resp.json();
              refusal(batch, file.name, file.name + ": " + (err.error || "không gửi được."));
            } else {
              // a fragment the server rendered with every text escaped
              batch.insertAdjacentHTML("beforeend", await resp.text());
            }
          } catch (e) {
            refusal(batch, file.name, file.name + ": không gửi được (mất kết nối với chương trình). Tệp không được lưu.");
          }
        }
        done += 1;
        bar.style.width = Math.round((100 * done) / files.length) + "%";
      }
      const kept = batch.querySelectorAll(".received.kept").length;
      const refused = batch.querySelectorAll(".received.refused").length;
      label.textContent = "Xong: " + files.length + " tệp, " + kept + " tệp mới được lưu, " + refused + " tệp không lưu.";
    }

    ["dragenter", "dragover"].forEach((ev) => zone.addEventListener(ev, (e) => {
      e.preventDefault(); zone.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((ev) => zone.addEventListener(ev, (e) => {
      e.preventDefault(); zone.classList.remove("over");
    }));
    zone.addEventListener("drop", async (e) => send(await droppedFiles(e.dataTransfer)));
    form.querySelectorAll('input[type="file"]').forEach((input) => input.addEventListener("change", () => {
      const files = Array.from(input.files);
      input.value = "";
      send(files);
    }));
    form.addEventListener("submit", (e) => { e.preventDefault(); });
  }

  /* ---- Tải về, Gửi và nhận thư: a run on the server, its progress polled. A form's result goes into its own
     .job-result, or into the element its data-result names (a preview holds a form of its own, and forms do
     not nest). Forms that arrive later (the confirmation under a preview) are handled the same way. */
  async function runJob(form) {
    const button = form.querySelector('button[type="submit"], button:not([type])');
    const progress = form.querySelector(".progress");
    const bar = progress.querySelector(".bar");
    const label = progress.querySelector(".label");
    const result = form.dataset.result ? document.querySelector(form.dataset.result) : form.querySelector(".job-result");
    button.disabled = true;
    result.textContent = "";
    progress.hidden = false;
    progress.classList.add("busy");
    bar.style.width = "0%";
    label.textContent = "Đang chạy…";
    const body = new FormData(form);
    // a typed password leaves the page with this post and is not kept in it
    form.querySelectorAll('input[type="password"]').forEach((input) => { input.value = ""; });
    let job;
    try {
      const resp = await fetch(form.action, {
        method: "POST", body: body,
        headers: { "X-Requested-With": "consolidate", "X-CSRF-Token": csrf() },
      });
      job = await resp.json();
      if (job.error) throw new Error(job.error);
      while (job.state === "running") {
        await new Promise((r) => setTimeout(r, 400));
        job = await (await fetch("/viec/" + job.id + ".json", { cache: "no-store" })).json();
        if (job.total) {
          progress.classList.remove("busy");
          bar.style.width = Math.round((100 * job.done) / job.total) + "%";
          label.textContent = "Đã xong " + job.done + "/" + job.total;
        }
      }
    } catch (err) {
      job = { state: "failed", text: err.message || "Không chạy được." };
    }
    progress.classList.remove("busy");
    bar.style.width = "100%";
    label.textContent = job.state === "done" ? "Xong." : "Không thành công.";
    if (job.html) {
      // a fragment the server rendered with every text escaped
      result.insertAdjacentHTML("beforeend", job.html);
    } else {
      result.appendChild(el("pre", "run-text" + (job.state === "failed" ? " error" : ""), job.text || ""));
    }
    if (job.download) {
      const a = el("a", "button download", "Tải về máy");
      a.href = job.download;
      result.appendChild(a);
    }
    button.disabled = false;
  }

  function setupJobs() {
    document.addEventListener("submit", (e) => {
      const form = e.target;
      if (!(form instanceof HTMLFormElement) || !form.classList.contains("job")) return;
      e.preventDefault();
      runJob(form);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    watch();
    setupUpload();
    setupJobs();
  });
})();
