import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { session } from "./auth/session";
import { ApiError } from "./lib/problems";
import "./styles.css";

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // A 401 has already renewed the token (api/client.ts): one more try then. Other 4xx are final.
      retry: (failures, error) =>
        failures < 1 && (!(error instanceof ApiError) || error.status === 401 || error.status >= 500),
      refetchOnWindowFocus: false,
    },
  },
});

session.subscribe(() => {
  if (session.status === "signed-out") queries.clear();
});
void session.start(); // a reload keeps the user signed in: the cookie still holds the refresh token

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
