import { Link } from "react-router";

export function NotFound() {
  return (
    <div className="card">
      <h1>Page not found</h1>
      <p>
        <Link to="/app/overview">Go to the overview</Link>
      </p>
    </div>
  );
}
