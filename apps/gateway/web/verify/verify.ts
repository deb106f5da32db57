import { element, enteredApiKey, rememberApiKey } from '../shared/page-elements';
import type { AnalysisResult } from './analysis';
import { describeResult, errorMessage, type ResultView } from './render';

/** The page's one key in session storage: the API key lives for this tab only (never localStorage, cookies or URLs). */
export const KEY_STORAGE = 'switchyard.verify.apiKey';
const ANALYZE_URL = '/v1/analyze';

const form = element<HTMLFormElement>('verify-form');
const keyInput = element<HTMLInputElement>('api-key');
const forgetKey = element<HTMLButtonElement>('forget-key');
const dropZone = element<HTMLDivElement>('drop-zone');
const fileInput = element<HTMLInputElement>('file');
const fileName = element<HTMLSpanElement>('file-name');
const preview = element<HTMLImageElement>('preview');
const sourceUrl = element<HTMLInputElement>('source-url');
const submit = element<HTMLButtonElement>('submit');
const progressRow = element<HTMLDivElement>('progress-row');
const progress = element<HTMLProgressElement>('progress');
const status = element<HTMLParagraphElement>('status');
const errorBox = element<HTMLParagraphElement>('error');
const resultSection = element<HTMLElement>('result');

let chosen: File | undefined;
let previewUrl: string | undefined;
let running = false;

rememberApiKey(KEY_STORAGE, keyInput, forgetKey, () => setStatus('The API key was forgotten.'));

function setStatus(text: string): void {
  status.textContent = text;
}

function showError(text: string | undefined): void {
  errorBox.textContent = text ?? '';
  errorBox.hidden = !text;
}

function choose(file: File | undefined): void {
  if (!file) return;
  if (file.type && !file.type.startsWith('image/')) {
    showError(`"${file.name}" is not an image.`);
    return;
  }
  showError(undefined);
  chosen = file;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(file);
  preview.src = previewUrl;
  preview.hidden = false;
  fileName.textContent = `${file.name || 'pasted image'} (${Math.max(1, Math.round(file.size / 1024))} KiB)`;
  setStatus(`Chosen: ${file.name || 'pasted image'}.`);
}

// Choosing: the picker, drag and drop, paste, and the keyboard on the drop zone.
fileInput.addEventListener('change', () => choose(fileInput.files?.[0]));
dropZone.addEventListener('click', () => fileInput.click());
dropZone.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    fileInput.click();
  }
});
dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  dropZone.classList.add('dragging');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('dragging');
  choose(event.dataTransfer?.files[0]);
});
// A file dropped beside the zone must not navigate away from the page.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());
document.addEventListener('paste', (event) => {
  const file = Array.from(event.clipboardData?.files ?? []).find((candidate) => candidate.type.startsWith('image/'));
  if (file) {
    event.preventDefault();
    choose(file);
  }
});

function setRunning(value: boolean): void {
  running = value;
  submit.disabled = value;
  form.setAttribute('aria-busy', String(value));
  progressRow.hidden = !value;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (running) return;
  const key = enteredApiKey(keyInput, showError);
  if (!key) return;
  if (!chosen) {
    showError('Choose an image first.');
    dropZone.focus();
    return;
  }
  showError(undefined);
  resultSection.hidden = true;
  analyze(key, chosen, sourceUrl.value.trim());
});

function analyze(key: string, file: File, source: string): void {
  const body = new FormData();
  body.append('file', file, file.name || 'pasted-image');
  if (source) body.append('sourceUrl', source);
  const request = new XMLHttpRequest();
  request.open('POST', ANALYZE_URL);
  request.setRequestHeader('Authorization', `Bearer ${key}`);
  request.setRequestHeader('Accept', 'application/json');
  request.responseType = 'text';
  progress.value = 0;
  setRunning(true);
  setStatus('Uploading… 0%');
  request.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    const percent = Math.round((event.loaded / event.total) * 100);
    progress.value = percent;
    setStatus(`Uploading… ${percent}%`);
  });
  request.upload.addEventListener('load', () => {
    progress.removeAttribute('value');
    setStatus('Analysing…');
  });
  request.addEventListener('load', () => {
    setRunning(false);
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.responseText);
    } catch {
      parsed = undefined;
    }
    if (request.status === 200 && parsed && typeof parsed === 'object') {
      setStatus('Done.');
      showResult(describeResult(parsed as AnalysisResult));
      return;
    }
    setStatus('');
    showError(errorMessage(request.status, parsed, request.getResponseHeader('retry-after')));
    if (request.status === 401) keyInput.focus();
  });
  const failed = () => {
    setRunning(false);
    setStatus('');
    showError(errorMessage(0, undefined));
  };
  request.addEventListener('error', failed);
  request.addEventListener('abort', failed);
  request.addEventListener('timeout', failed);
  request.send(body);
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function fillList(list: HTMLElement, rows: [string, string][]): void {
  list.replaceChildren(
    ...rows.map(([term, value]) => {
      const row = document.createElement('div');
      row.append(text('dt', term), text('dd', value));
      return row;
    }),
  );
}

function showResult(view: ResultView): void {
  const verdict = element('verdict');
  verdict.textContent = view.verdict;
  verdict.className = `verdict ${view.verdictClass}`;
  element('headline').textContent = view.headline;
  element('score').textContent = view.score;
  element('confidence').textContent = view.confidence;
  element('decided-by').textContent = view.decidedBy;
  element('cache').textContent = view.cache;
  element('near-duplicate').textContent = view.nearDuplicate;
  element('no-evidence').hidden = view.evidence.length > 0;
  element('evidence').replaceChildren(
    ...view.evidence.map((item) => {
      const li = document.createElement('li');
      const heading = document.createElement('div');
      heading.append(text('span', item.sourceName, 'source'), text('span', item.strength, `badge ${item.strength}`));
      if (item.deciding) heading.append(text('span', 'decided the verdict', 'badge deciding'));
      li.append(heading, text('p', `${item.kind}: ${item.detail}`, 'detail'), text('p', item.meaning, 'meaning'));
      return li;
    }),
  );
  element('c2pa-section').hidden = !view.c2pa;
  fillList(element('c2pa'), view.c2pa ?? []);
  fillList(element('facts'), view.facts);
  element('sha256').textContent = view.sha256;
  resultSection.hidden = false;
  setStatus(`Verdict: ${view.verdict}, confidence ${view.confidence}.`);
}
