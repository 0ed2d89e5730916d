;;; eglot_driver.el --- Emacs with eglot, in batch mode, gets archls diagnostics  -*- lexical-binding: t -*-
;; Used by tests/editors/test_eglot.py: opens ARCHLS_FILE, starts eglot with ARCHLS_CMD (JSON list),
;; waits for flymake to hold archls diagnostics and prints each as "DIAG line code message".

(require 'json)
(require 'eglot)
(require 'flymake)

;; Emacs 28 has no YAML mode of its own; eglot only needs a major mode to name the language.
(unless (fboundp 'yaml-mode)
  (define-derived-mode yaml-mode text-mode "YAML"))
(add-to-list 'auto-mode-alist '("\\.ya?ml\\'" . yaml-mode))

(let* ((command (append (json-read-from-string (getenv "ARCHLS_CMD")) nil))
       (file (getenv "ARCHLS_FILE"))
       (deadline (+ (float-time) 30)))
  (add-to-list 'eglot-server-programs (cons 'yaml-mode command))
  (find-file file)
  (apply #'eglot (eglot--guess-contact))
  (while (and (null (flymake-diagnostics)) (< (float-time) deadline))
    (accept-process-output nil 0.1))
  (dolist (diag (sort (flymake-diagnostics)
                      (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b)))))
    (princ (format "DIAG %d %s\n"
                   (line-number-at-pos (flymake-diagnostic-beg diag))
                   (replace-regexp-in-string "\n" " " (flymake-diagnostic-text diag)))))
  (princ (format "SERVER %s\n" (eglot--server-info (eglot-current-server))))
  (ignore-errors (eglot-shutdown (eglot-current-server)))
  (kill-emacs 0))
