export function LoadingScreen() {
  return (
    <main className="screen screen--centered">
      <p role="status" className="loading">
        Connecting to the workstation service…
      </p>
    </main>
  );
}
