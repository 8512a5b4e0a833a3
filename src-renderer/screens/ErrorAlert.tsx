/**
 * A failure told at once (role="alert") and not by color alone: a text label before the message.
 * The message comes from the main process and carries no PHI.
 */
export function ErrorAlert({ label, message }: { label: string; message: string }) {
  return (
    <p role="alert" className="message message--error">
      <span className="message__label">{label}</span> {message}
    </p>
  );
}
