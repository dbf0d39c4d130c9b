import { useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import type { components } from "../api/schema";
import { session } from "../auth/session";
import { navFor } from "../lib/nav";

type User = components["schemas"]["User"];

export function Layout({ user, children }: { user: User; children: ReactNode }) {
  const [leaving, setLeaving] = useState(false);
  const signOut = async () => {
    setLeaving(true);
    try {
      await session.signOut();
    } finally {
      setLeaving(false);
    }
  };
  return (
    <div className="mx-auto min-h-screen max-w-5xl">
      <header className="border-b border-stone-300 bg-white px-3 py-2">
        <div className="flex items-center justify-between gap-2">
          <p className="font-semibold text-emerald-800">NeuroPilot</p>
          <div className="flex items-center gap-2">
            <span className="hidden text-sm text-stone-600 sm:inline">{user.display_name}</span>
            <button
              type="button"
              onClick={() => void signOut()}
              disabled={leaving}
              className="min-h-11 rounded-md border border-stone-400 px-3 text-base hover:bg-stone-100"
            >
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Main" className="mt-2">
          <ul className="flex flex-wrap gap-1">
            {navFor(user.role).map((entry) => (
              <li key={entry.to}>
                <NavLink
                  to={entry.to}
                  className={({ isActive }) =>
                    `flex min-h-11 items-center rounded-md px-3 text-base ${
                      isActive ? "bg-emerald-700 text-white" : "text-stone-800 hover:bg-stone-100"
                    }`
                  }
                >
                  {entry.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main className="px-3 py-4">{children}</main>
    </div>
  );
}
