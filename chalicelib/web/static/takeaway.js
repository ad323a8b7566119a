// Taking research away: the report as a Markdown file (its sections' own Markdown, with the
// bank's name, the quarter and who wrote it on top), and printing (the print stylesheet in
// app.css leaves the page's chrome out). Made in the browser: no request, nothing stored.

import { quarterEnd, quarterLabel, when, writerName } from "./words.js";

const nameOf = (report, bankName) => bankName || (report.bank && report.bank.name) || `RSSD ${report.idrssd}`;

export function reportMarkdown(report, bankName) {
  const name = nameOf(report, bankName);
  const lines = [
    `# ${name}: research report`,
    "",
    `RSSD ${report.idrssd} · data as of ${quarterLabel(report.asOf)} (quarter ending ${quarterEnd(report.asOf)})` +
      (report.generatedAt ? ` · written ${when(report.generatedAt)}` : "") + ` · ${writerName(report.writer)}`,
  ];
  if (report.synthetic) {
    lines.push("", "> Synthetic data: this bank and its figures are invented for demonstration and describe no real institution.");
  }
  for (const section of report.sections || []) {
    lines.push("", `## ${section.title}`, "", String(section.markdown || "").trim());
  }
  return `${lines.join("\n")}\n`;
}

// "granite-peak-bank-2024q4.md": the file's name, from the bank and the quarter.
export function markdownName(report, bankName) {
  const slug = String(bankName || report.idrssd).toLowerCase().normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || String(report.idrssd);
  return `${slug}-${quarterLabel(report.asOf).replace(" ", "").toLowerCase()}-report.md`;
}

export function downloadMarkdown(report, bankName) {
  const blob = new Blob([reportMarkdown(report, bankName)], { type: "text/markdown;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = markdownName(report, bankName);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// Every printed page carries the bank's name and the report's quarter at its top, and its
// number at its foot (app.css). A page margin box can only show text written in CSS, so the
// heading is a constructed style sheet: no inline style, nothing the page's CSP refuses.
const printSheet = "CSSStyleSheet" in window && "adoptedStyleSheets" in document ? new CSSStyleSheet() : null;
if (printSheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, printSheet];

const cssString = (text) => `"${String(text).replace(/[\\"]/g, "\\$&").replace(/[\u0000-\u001f\u007f]/g, " ")}"`;

export function printHeading(report, bankName) {
  if (!printSheet) return;
  if (!report) { printSheet.replaceSync(""); return; }
  printSheet.replaceSync(`@page {
    @top-left { content: ${cssString(nameOf(report, bankName))}; }
    @top-right { content: ${cssString(`Research report · data as of ${quarterLabel(report.asOf)}`)}; }
  }`);
}
