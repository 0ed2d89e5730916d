;;; eglot_driver.el --- Emacs runs the eglot set-up of docs/editors.md and gets archls diagnostics  -*- lexical-binding: t -*-
;; Used by tests/editors/test_eglot.py: loads ARCHLS_INIT (the documentation's snippet, as written),
;; opens ARCHLS_FILE as a user would, and prints every flymake diagnostic seen until they settle, as
;; "DIAG line code message" ("SEEN" for one seen before the last audit).

(require 'json)
(require 'flymake)

;; What an interactive Emacs does before reading the user's init: activate the installed packages
;; (Debian's elpa-eglot and elpa-yaml-mode).
(package-initialize)
(load (getenv "ARCHLS_INIT") nil t)

(defun archls-driver--lines ()
  (mapcar (lambda (diag)
            (format "%d %s"
                    (line-number-at-pos (flymake-diagnostic-beg diag))
                    (replace-regexp-in-string "\n" " " (flymake-diagnostic-text diag))))
          (sort (flymake-diagnostics)
                (lambda (a b) (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b))))))

(let ((deadline (+ (float-time) 40))
      (seen nil)
      (last nil)
      (stable-since nil))
  (find-file (getenv "ARCHLS_FILE"))
  (princ (format "MODE %s\n" major-mode))
  ;; eglot-ensure connects from post-command-hook, which batch mode never runs by itself.
  (run-hooks 'post-command-hook)
  ;; Until the diagnostics have stayed the same for 2 s: a first audit without the settings would show
  ;; findings they hide, then take them away.
  (while (and (< (float-time) deadline)
              (not (and stable-since last (> (- (float-time) stable-since) 2))))
    (accept-process-output nil 0.1)
    (let ((now (archls-driver--lines)))
      (dolist (line now) (unless (member line seen) (push line seen)))
      (unless (equal now last)
        (setq last now stable-since (float-time)))))
  (dolist (line last) (princ (format "DIAG %s\n" line)))
  (dolist (line seen) (unless (member line last) (princ (format "SEEN %s\n" line))))
  (when (eglot-current-server)
    (princ (format "SERVER %s\n" (eglot--server-info (eglot-current-server))))
    (ignore-errors (eglot-shutdown (eglot-current-server))))
  (kill-emacs 0))
