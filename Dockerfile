# One image for both roles: `dotnet /app/api/MessengerAutoReply.ApiHost.dll` or `dotnet /app/silo/MessengerAutoReply.Silo.dll`.
# Build stage: restore from the project files first (a layer that survives source edits), then publish.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Grains/Grains.csproj src/Grains/
COPY src/ApiHost/ApiHost.csproj src/ApiHost/
COPY src/Silo/Silo.csproj src/Silo/
RUN dotnet restore src/ApiHost/ApiHost.csproj && dotnet restore src/Silo/Silo.csproj
# Only src/ goes in: .dockerignore keeps .env, data/, bin/ and obj/ out of the context.
COPY src/ src/
RUN dotnet publish src/ApiHost/ApiHost.csproj -c Release --no-restore -o /app/api \
 && dotnet publish src/Silo/Silo.csproj -c Release --no-restore -o /app/silo

# Runtime stage: the ASP.NET runtime only, as the image's non-root user `app` (UID 1654).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app/api /app/api
COPY --from=build /app/silo /app/silo
RUN mkdir -p /data && chown app:app /data
ENV DATA_DIR=/data
VOLUME /data
USER app
EXPOSE 3000 11111 30000
CMD ["dotnet", "/app/api/MessengerAutoReply.ApiHost.dll"]
