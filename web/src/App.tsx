import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useMe, useSessionStatus } from "./auth/useAuth";
import { Layout } from "./components/Layout";
import { Loading } from "./components/ui";
import { mayOpen, type Role } from "./lib/nav";
import { SignIn } from "./screens/SignIn";

// Each screen is its own chunk: the sign-in page loads none of them (and not the chart library).
const Count = lazy(() => import("./screens/Count"));
const Stock = lazy(() => import("./screens/Stock"));
const Receive = lazy(() => import("./screens/Receive"));
const Order = lazy(() => import("./screens/Order"));
const Waste = lazy(() => import("./screens/Waste"));
const Reports = lazy(() => import("./screens/Reports"));
const Items = lazy(() => import("./screens/Items"));
const Suppliers = lazy(() => import("./screens/Suppliers"));
const Locations = lazy(() => import("./screens/Locations"));
const Users = lazy(() => import("./screens/Users"));
const Audit = lazy(() => import("./screens/Audit"));

function Allowed({ role, children }: { role: Role; children: ReactNode }) {
  const { pathname } = useLocation();
  if (!mayOpen(role, pathname)) {
    return <p role="alert">Your role may not open this page.</p>;
  }
  return <>{children}</>;
}

export function App() {
  const status = useSessionStatus();
  const me = useMe();
  if (status === "starting") return <Loading what="NeuroPilot" />;
  if (status === "signed-out") return <SignIn />;
  if (!me.data) return me.isError ? <SignIn /> : <Loading what="your profile" />;
  const role = me.data.role;
  return (
    <Layout user={me.data}>
      <Suspense fallback={<Loading what="the page" />}>
        <Allowed role={role}>
          <Routes>
            <Route path="/" element={<Navigate to="/stock" replace />} />
            <Route path="/count/*" element={<Count role={role} />} />
            <Route path="/stock" element={<Stock />} />
            <Route path="/receive" element={<Receive />} />
            <Route path="/order" element={<Order />} />
            <Route path="/waste" element={<Waste />} />
            <Route path="/reports" element={<Reports role={role} />} />
            <Route path="/items" element={<Items role={role} />} />
            <Route path="/suppliers" element={<Suppliers />} />
            <Route path="/locations" element={<Locations role={role} />} />
            <Route path="/users" element={<Users />} />
            <Route path="/audit" element={<Audit />} />
            <Route path="*" element={<p role="alert">There is no such page.</p>} />
          </Routes>
        </Allowed>
      </Suspense>
    </Layout>
  );
}
